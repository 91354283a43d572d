/**
 * The dtypes the safetensors format defines (the reference's `Dtype` enum, safetensors 0.8), with their sizes in
 * bits, their rank in the reference's order (increasing alignment: writers lay tensors out by descending rank, then
 * name), and loraga's dtype for the four it holds. Looked up in Maps, so a name such as `constructor` is unknown.
 */
import type { DType } from '../../../types/dtype';

export interface StDType {
  name: string;
  bits: number;
  rank: number;
  /** loraga's dtype, when it holds this one. */
  dtype?: DType;
}

const TABLE: [string, number, DType?][] = [
  ['BOOL', 8], ['F4', 4], ['F6_E2M3', 6], ['F6_E3M2', 6], ['U8', 8], ['I8', 8], ['F8_E5M2', 8], ['F8_E4M3', 8],
  ['F8_E8M0', 8], ['F8_E4M3FNUZ', 8], ['F8_E5M2FNUZ', 8], ['I16', 16], ['U16', 16], ['F16', 16, 'f16'],
  ['BF16', 16, 'bf16'], ['I32', 32], ['U32', 32], ['F32', 32, 'f32'], ['C64', 64], ['F64', 64, 'f64'], ['I64', 64],
  ['U64', 64],
];

export const ST_DTYPES: ReadonlyMap<string, StDType> = new Map(TABLE.map(([name, bits, dtype], rank) => [name, { name, bits, rank, dtype }]));

/** loraga dtype → its safetensors entry. */
export const FOR_DTYPE: ReadonlyMap<DType, StDType> = new Map([...ST_DTYPES.values()].filter((d) => d.dtype).map((d) => [d.dtype!, d]));
