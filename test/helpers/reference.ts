/**
 * The PEFT reference case (../shared/reference/peft-small, beside the clone). Where it is missing the suites that
 * need it are skipped with the reason printed. Their bodies are not run at all: a describe body reads the case's
 * files, and jest runs even a skipped describe's body to collect its tests.
 */
import * as fs from 'fs';
import * as path from 'path';

export const REF = path.join(__dirname, '..', '..', '..', 'shared', 'reference', 'peft-small');
export const haveReference = fs.existsSync(path.join(REF, 'case.json'));

export function describeWithReference(name: string, body: () => void): void {
  if (haveReference) return describe(name, body);
  console.warn(`skipping '${name}': the reference case is not at ${REF} (clone beside shared/)`);
  describe.skip(name, () => test('needs the reference case', () => undefined));
}
