export type FlagKind = 'string' | 'number' | 'boolean';
export interface FlagSpec {
    kind: FlagKind;
    required?: boolean;
    default?: string | number | boolean;
}
export type Flags = Record<string, string | number | boolean | undefined>;
export interface Command {
    summary: string;
    help: string;
    flags: Record<string, FlagSpec>;
    run(flags: Flags): Promise<number>;
}
export declare function parseFlags(argv: string[], specs: Record<string, FlagSpec>): Flags;
