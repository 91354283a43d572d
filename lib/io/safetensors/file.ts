/**
 * SafetensorsFile (declared in types/io.d.ts): one file opened for reading tensors on demand (bounded memory for
 * large checkpoints); the header is read and validated at open.
 */
import { ioError, withIO } from '../fs-errors';
import * as fs from 'fs';
import type * as api from '../../../types/io';
import type { SafetensorsEntry, SafetensorsHeader, SafetensorsUnsupported } from '../../../types/io';
import { allocStorage, bytesPerElement } from '../../dtype';
import { LoraValueError } from '../../errors';
import { Tensor } from '../../tensor';
import { allNames, fail, headerLength, noTensorNamed, parseHeaderJson, tensorShape, unsupportedError } from './header';

export type SafetensorsFile = api.SafetensorsFile;
export const SafetensorsFile: typeof api.SafetensorsFile = class SafetensorsFile {
  readonly path: string;
  readonly header: SafetensorsHeader;
  private fd: number | null;
  private readonly byName: Map<string, SafetensorsEntry>;
  private readonly other: Map<string, SafetensorsUnsupported>;

  private constructor(p: string, fd: number, header: SafetensorsHeader) {
    this.path = p;
    this.fd = fd;
    this.header = header;
    this.byName = new Map(header.entries.map((e) => [e.name, e]));
    this.other = new Map(header.unsupported.map((u) => [u.name, u]));
  }

  static open(p: string): SafetensorsFile {
    const fd = withIO(p, 'open', () => fs.openSync(p, 'r'));
    try {
      const total = fs.fstatSync(fd).size;
      const first = Buffer.alloc(8);
      if (total >= 8 && fs.readSync(fd, first, 0, 8, 0) !== 8) fail(p, 'short read of the header length');
      const n = headerLength(first, total, p);
      const json = Buffer.alloc(n);
      if (fs.readSync(fd, json, 0, n, 8) !== n) fail(p, 'short read of the header (file changed?)');
      return new SafetensorsFile(p, fd, parseHeaderJson(json, n, total - 8 - n, p));
    } catch (e) {
      fs.closeSync(fd);
      throw ioError(e, p, 'read');  // e.g. EISDIR: opening a directory succeeds, reading it does not
    }
  }

  get names(): string[] {
    return allNames(this.header);
  }

  get metadata(): Record<string, string> {
    return this.header.metadata;
  }

  has(name: string): boolean {
    return this.byName.has(name) || this.other.has(name);
  }

  entry(name: string): SafetensorsEntry {
    const e = this.byName.get(name);
    if (e) return e;
    const u = this.other.get(name);
    if (u) throw unsupportedError(this.path, u);
    return noTensorNamed(this.header, name, this.path);
  }

  get(name: string): Tensor {
    if (this.fd === null) throw new LoraValueError(`${this.path}: file is closed`);
    const e = this.entry(name);
    const storage = allocStorage(e.dtype, (e.end - e.begin) / bytesPerElement(e.dtype));
    const dst = new Uint8Array(storage.buffer, storage.byteOffset, storage.byteLength);
    let done = 0;
    while (done < dst.byteLength) {
      const k = fs.readSync(this.fd, dst, done, dst.byteLength - done, this.header.dataStart + e.begin + done);
      if (k <= 0) fail(this.path, `short read of '${name}' (file truncated while open?)`);
      done += k;
    }
    return new Tensor(storage, tensorShape(e), e.dtype, true);  // its own allocation: owned, writable
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
};
