import { execFileSync } from 'child_process';
import * as path from 'path';

// The package's published entry points (dist/, built by `npm run build:ts`) load and expose the same API.
const root = path.join(__dirname, '..');
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();

describe('entry points', () => {
  test('CommonJS require gives a working API', () => {
    const out = node(['-e', "const l=require('./'); const t=l.Tensor.from([1,2,3,4],[2,2]); console.log(l.matmul(t,t).toArray().join(';'))"]);
    expect(out).toBe('7,10;15,22');
  });
  test('ESM import gives the same named exports', () => {
    const out = node(['--input-type=module', '-e',
      "import { Tensor, matmul, LoraShapeError } from 'loraga'; import * as l from 'loraga'; " +
      "const t = Tensor.from([1,2,3,4],[2,2]); console.log(matmul(t,t).toArray().join(';'), typeof LoraShapeError, Object.keys(l).length > 10)"]);
    expect(out).toBe('7,10;15,22 function true');
  });
});
