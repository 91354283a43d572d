/** Gate for the GPU suites: they run only where backends() reports CUDA usable, else show one skipped test naming why. */
import { backends } from '../../lib';

export const cudaInfo = backends().find((b) => b.name === 'cuda')!;

export function describeGpu(name: string, body: () => void): void {
  if (cudaInfo.available) describe(name, body);
  else {
    // jest lists nothing for an all-skipped file, so say it on stderr as well
    process.stderr.write(`[loraga gpu tests] skipping "${name}": CUDA unavailable: ${cudaInfo.reason}\n`);
    describe(name, () => test.skip(`CUDA unavailable: ${cudaInfo.reason}`, () => undefined));
  }
}
