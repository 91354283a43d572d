import { Command } from './args';
export declare const command: Command;
