import { Command } from './args';
export interface DoctorReport {
    loraga: string;
    node: string;
    napi: string;
    platform: string;
    glibc: string | null;
    binary: {
        path: string | null;
        kind: 'prebuilt' | 'local build' | 'LORAGA_BINARY override' | 'not loaded';
        error: string | null;
    };
    /** How OpenBLAS reached the process: linked into the addon (prebuilt binaries) or a shared libopenblas. */
    blasLinkage: string;
    blas: {
        config: string;
        core: string;
        threads: number | null;
        env: Record<string, string>;
    } | null;
    backends: {
        name: string;
        available: boolean;
        reason: string;
        deviceName: string;
        details: string;
    }[];
    ok: boolean;
}
export declare function doctorReport(): DoctorReport;
export declare const command: Command;
