// A safetensors file from its parts, for tests that hand the parser exact (often malformed) bytes: the 8-byte
// little-endian header length, the header as given (no padding), then the data.

/**
 * `header` as text or bytes; `data` as bytes or a count of zero bytes; `headerLen` overrides the length field (a
 * file that lies about its header).
 */
export function stFile(header: string | Uint8Array, data: Uint8Array | number = 0, headerLen?: number): Buffer {
  const h = typeof header === 'string' ? Buffer.from(header, 'utf8') : Buffer.from(header);
  const pre = Buffer.alloc(8);
  pre.writeBigUInt64LE(BigInt(headerLen ?? h.length));
  return Buffer.concat([pre, h, typeof data === 'number' ? Buffer.alloc(data) : Buffer.from(data)]);
}
