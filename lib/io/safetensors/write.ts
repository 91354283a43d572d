/** Writing safetensors files: all tensors at once (sync or async), or streamed by a SafetensorsWriter. */
import * as fs from 'fs';
import type { DType } from '../../../types/dtype';
import { bytesPerElement } from '../../dtype';
import { LoraDTypeError, LoraShapeError, LoraValueError } from '../../errors';
import { Tensor } from '../../tensor';
import { TO_ST } from './header';

/** Header bytes (length prefix + JSON padded with spaces to a multiple of 8) and the data layout. */
function layout(tensors: Record<string, Tensor>, metadata?: Record<string, string>) {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== 'string') throw new LoraValueError(`writeSafetensors: metadata '${k}' must be a string, got ${typeof v}`);
    header.__metadata__ = metadata;
  }
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__' || name.length === 0) throw new LoraValueError(`writeSafetensors: invalid tensor name ${JSON.stringify(name)}`);
    if (!(t instanceof Tensor)) throw new LoraShapeError(`writeSafetensors: '${name}' is not a Tensor`);
    const d = t.data; // throws if disposed
    const st = TO_ST[t.dtype];
    if (!st) throw new LoraDTypeError(`writeSafetensors: '${name}' has unsupported dtype ${t.dtype}`);
    header[name] = { dtype: st, shape: t.shape.slice(), data_offsets: [offset, offset + d.byteLength] };
    parts.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    offset += d.byteLength;
  }
  let json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - (jsonBytes % 8)) % 8); // data then starts 8-aligned, so readers can view it in place
  const hb = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(hb.byteLength));
  return [prefix, hb, ...parts];
}

export function writeSafetensorsSync(p: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  const chunks = layout(tensors, metadata);
  const tmp = `${p}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    for (const c of chunks) {
      let done = 0;
      while (done < c.byteLength) done += fs.writeSync(fd, c, done, c.byteLength - done);
    }
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, p);
}

export async function writeSafetensors(p: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  const chunks = layout(tensors, metadata);
  const tmp = `${p}.tmp-${process.pid}`;
  const fh = await fs.promises.open(tmp, 'w');
  try {
    for (const c of chunks) {
      let done = 0;
      while (done < c.byteLength) done += (await fh.write(c, done, c.byteLength - done)).bytesWritten;
    }
  } catch (e) {
    await fh.close();
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await fs.promises.rename(tmp, p);
}

export class SafetensorsWriter {
  private fd: number | null;
  private readonly tmp: string;
  private readonly slots: Map<string, { dtype: DType; shape: number[]; pos: number; bytes: number; done: boolean }>;

  constructor(readonly path: string, layoutOf: { name: string; dtype: DType; shape: number[] }[], metadata?: Record<string, string>) {
    const header: Record<string, unknown> = {};
    if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
    let offset = 0;
    const rel = new Map<string, { dtype: DType; shape: number[]; begin: number; bytes: number }>();
    for (const e of layoutOf) {
      if (e.name === '__metadata__' || !e.name || rel.has(e.name)) throw new LoraValueError(`SafetensorsWriter: invalid or duplicate name ${JSON.stringify(e.name)}`);
      const bytes = e.shape.reduce((a, b) => a * b, 1) * bytesPerElement(e.dtype);
      header[e.name] = { dtype: TO_ST[e.dtype], shape: e.shape, data_offsets: [offset, offset + bytes] };
      rel.set(e.name, { dtype: e.dtype, shape: e.shape.slice(), begin: offset, bytes });
      offset += bytes;
    }
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
    const hb = Buffer.from(json, 'utf8');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(hb.byteLength));
    const dataStart = 8 + hb.byteLength;
    this.slots = new Map([...rel].map(([k, v]) => [k, { dtype: v.dtype, shape: v.shape, pos: dataStart + v.begin, bytes: v.bytes, done: false }]));
    this.tmp = `${this.path}.tmp-${process.pid}`;
    this.fd = fs.openSync(this.tmp, 'w');
    fs.writeSync(this.fd, prefix, 0, 8, 0);
    fs.writeSync(this.fd, hb, 0, hb.byteLength, 8);
    if (offset > 0) fs.ftruncateSync(this.fd, dataStart + offset);
  }

  write(name: string, t: Tensor): void {
    if (this.fd === null) throw new LoraValueError(`SafetensorsWriter ${this.path}: already closed`);
    const s = this.slots.get(name);
    if (!s) throw new LoraValueError(`SafetensorsWriter ${this.path}: '${name}' is not in the declared layout`);
    if (t.dtype !== s.dtype || t.shape.join() !== s.shape.join())
      throw new LoraShapeError(`SafetensorsWriter ${this.path}: '${name}' was declared [${s.shape.join(', ')}] ${s.dtype}, got [${t.shape.join(', ')}] ${t.dtype}`);
    const d = t.data;
    const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    let done = 0;
    while (done < bytes.byteLength) done += fs.writeSync(this.fd, bytes, done, bytes.byteLength - done, s.pos + done);
    s.done = true;
  }

  close(): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
    const missing = [...this.slots].filter(([, s]) => !s.done).map(([k]) => k);
    if (missing.length) {
      fs.rmSync(this.tmp, { force: true });
      throw new LoraValueError(`SafetensorsWriter ${this.path}: never written: ${missing.join(', ')}`);
    }
    fs.renameSync(this.tmp, this.path);
  }

  abort(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    fs.rmSync(this.tmp, { force: true });
  }
}
