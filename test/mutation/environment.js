/**
 * jest's node environment, plus one correction to Stryker's per-test coverage. Stryker attributes a mutant to the
 * test running when its code runs; code run outside any test (the test file's top level, its beforeAll hooks, the
 * modules they load) counts as "static", and a static mutant is run against every suite of the run, which makes a
 * folder whose suites build their fixtures up front (every safetensors suite does) take hours. Here whatever a test
 * file runs outside its tests is attributed to every test of that file instead: each of them depends on that
 * setup, and jest reruns it (and reloads every module) whenever any of them runs, so the mutant is tested as before
 * by the tests that can see it. Code at the top level of a lib/ module loads in every file, so its mutants are still
 * run against every suite.
 */
const { TestEnvironment } = require('jest-environment-node');

function fullName(test) {
  const parts = [];
  for (let d = test.parent; d && d.parent; d = d.parent) parts.unshift(d.name);
  return [...parts, test.name].join(' ');
}

class AttributingEnvironment extends TestEnvironment {
  #before = null;
  #tests = [];

  async setup() {
    await super.setup();
    const cov = this.global.__stryker__?.mutantCoverage;
    this.#before = { ...(cov?.static ?? {}) };
  }

  async handleTestEvent(event) {
    if (event.name === 'test_start') this.#tests.push(fullName(event.test));
  }

  async teardown() {
    const cov = this.global.__stryker__?.mutantCoverage;
    if (cov && this.#before && this.#tests.length) {
      const moved = [];
      for (const [id, n] of Object.entries(cov.static)) {
        const had = this.#before[id] ?? 0;
        if (n > had) {
          moved.push(id);
          if (had) cov.static[id] = had;
          else delete cov.static[id];
        }
      }
      if (moved.length) {
        for (const t of this.#tests) {
          const c = (cov.perTest[t] ??= {});
          for (const id of moved) c[id] = (c[id] ?? 0) + 1;
        }
      }
    }
    await super.teardown();
  }
}

module.exports = AttributingEnvironment;
