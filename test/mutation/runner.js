/**
 * Jest's own test runner, less the suites a mutant run does not need. Stryker runs each mutant with a
 * testNamePattern of the tests that cover it, but jest still loads every suite to filter their tests, and loading
 * (lib/ and the test file) is most of the time of a run. So: the run without a pattern (Stryker's initial run, and
 * every static mutant) runs every suite and records each suite's test names (in <rootDir>/.mutation-test-names.json,
 * which lives in Stryker's sandbox); a run with a pattern then runs only the suites that hold a matching test (and
 * any suite not recorded). Which tests run is unchanged.
 */
const fs = require('fs');
const path = require('path');
const TestRunner = require('jest-runner').default;

let names = null;

function namesFile(globalConfig) {
  return path.join(globalConfig.rootDir, '.mutation-test-names.json');
}

function load(globalConfig) {
  if (names) return names;
  try {
    names = JSON.parse(fs.readFileSync(namesFile(globalConfig), 'utf8'));
  } catch {
    names = {};
  }
  return names;
}

class NarrowingRunner extends TestRunner {
  async runTests(tests, watcher, options) {
    const g = this._globalConfig;
    const known = load(g);
    if (!g.testNamePattern) {
      const off = this.on('test-file-success', ([test, result]) => {
        known[test.path] = result.testResults.map((r) => r.fullName);
      });
      try {
        return await super.runTests(tests, watcher, options);
      } finally {
        off();
        fs.writeFileSync(namesFile(g), JSON.stringify(known));
      }
    }
    const re = new RegExp(g.testNamePattern, 'i');
    return super.runTests(tests.filter((t) => !known[t.path] || known[t.path].some((n) => re.test(n))), watcher, options);
  }
}

module.exports = NarrowingRunner;
