#!/usr/bin/env node
import { Command } from './args';
export declare function registerCommand(name: string, load: () => Command): void;
export declare function main(argv: string[]): Promise<number>;
