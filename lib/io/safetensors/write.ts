/** Writing safetensors files: all tensors at once (sync or async), or streamed by a SafetensorsWriter. */
import * as fs from 'fs';
import type { DType } from '../../../types/dtype';
import { bytesPerElement, isDType } from '../../dtype';
import { LoraShapeError, LoraValueError } from '../../errors';
import { Tensor, checkShape } from '../../tensor';
import { checkName, headerBytes, metadataEntries, plan } from './layout';

/** Header bytes (length prefix + padded JSON) and the data, in the reference's layout (layout.ts). */
function layout(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array[] {
  const who = 'writeSafetensors';
  const md = metadataEntries(metadata, who);
  const byName = new Map<string, Tensor>();
  // Object.entries sees an own `__proto__` key (Object.fromEntries, JSON.parse make them) like any other.
  for (const [name, t] of Object.entries(tensors)) {
    checkName(name, who);
    if (!(t instanceof Tensor)) throw new LoraShapeError(`${who}: '${name}' is not a Tensor`);
    byName.set(name, t);
  }
  const planned = plan([...byName].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape.slice(), bytes: t.data.byteLength })), who);
  const data = planned.map((p) => {
    const d = byName.get(p.name)!.data; // throws if disposed
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  });
  return [...headerBytes(planned, md), ...data];
}

/**
 * A temporary name next to p, unique in this process too: two writes of the same path at once (two async writes, or
 * two SafetensorsWriters) each fill their own file, and the last to finish is renamed over p last.
 */
let tmpCount = 0;
const tmpName = (p: string) => `${p}.tmp-${process.pid}-${++tmpCount}`;

/** bytes written at pos, continuing after short writes (fs.writeSync may write less than it was given). */
function writeAllAt(fd: number, bytes: Uint8Array, pos: number): void {
  let done = 0;
  while (done < bytes.byteLength) done += fs.writeSync(fd, bytes, done, bytes.byteLength - done, pos + done);
}

export function writeSafetensorsSync(p: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  const chunks = layout(tensors, metadata);
  const tmp = tmpName(p);
  const fd = fs.openSync(tmp, 'w');
  try {
    let pos = 0;
    for (const c of chunks) {
      writeAllAt(fd, c, pos);
      pos += c.byteLength;
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
  const tmp = tmpName(p);
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
  private readonly slots: Map<string, { dtype: DType; shape: number[]; pos: number; done: boolean }>;

  constructor(readonly path: string, layoutOf: { name: string; dtype: DType; shape: number[] }[], metadata?: Record<string, string>) {
    const who = `SafetensorsWriter ${path}`;
    const md = metadataEntries(metadata, who);
    const seen = new Set<string>();
    const items = layoutOf.map((e) => {
      checkName(e.name, who);
      if (seen.has(e.name)) throw new LoraValueError(`${who}: duplicate name ${JSON.stringify(e.name)}`);
      seen.add(e.name);
      const shape = checkShape(e.shape, `${who}: shape of '${e.name}'`);
      return { name: e.name, dtype: e.dtype, shape, bytes: shape.reduce((a, b) => a * b, 1) * (isDType(e.dtype) ? bytesPerElement(e.dtype) : 0) };
    });
    const planned = plan(items, who);
    const [prefix, hb] = headerBytes(planned, md);
    const dataStart = 8 + hb.byteLength;
    const size = planned.length ? planned[planned.length - 1].end : 0;
    this.slots = new Map(planned.map((p) => [p.name, { dtype: p.dtype, shape: p.shape, pos: dataStart + p.begin, done: false }]));
    this.tmp = tmpName(this.path);
    this.fd = fs.openSync(this.tmp, 'w');
    writeAllAt(this.fd, prefix, 0);
    writeAllAt(this.fd, hb, 8);
    if (size > 0) fs.ftruncateSync(this.fd, dataStart + size);
  }

  write(name: string, t: Tensor): void {
    if (this.fd === null) throw new LoraValueError(`SafetensorsWriter ${this.path}: already closed`);
    const s = this.slots.get(name);
    if (!s) throw new LoraValueError(`SafetensorsWriter ${this.path}: '${name}' is not in the declared layout`);
    if (t.dtype !== s.dtype || t.shape.join() !== s.shape.join())
      throw new LoraShapeError(`SafetensorsWriter ${this.path}: '${name}' was declared [${s.shape.join(', ')}] ${s.dtype}, got [${t.shape.join(', ')}] ${t.dtype}`);
    const d = t.data;
    const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    writeAllAt(this.fd, bytes, s.pos);
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
