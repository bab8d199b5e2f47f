/**
 * A reporter that closes every run with the suites that could not run here and why (the tests
 * `describeRequiring` from `@agentvault/core/testing` skipped). The default reporter counts them as
 * skipped; this names them, so a missing server never makes a run quietly smaller.
 */
import type { Reporter, TestCase, TestModule, Vitest } from 'vitest/node';

interface Group {
  where: string;
  reason: string;
  tests: number;
}

/** The outermost suite of a test: what `describeRequiring` was given. */
function outerSuite(test: TestCase): string {
  let parent = test.parent;
  let name = test.name;
  while (parent.type === 'suite') {
    name = parent.name;
    parent = parent.parent;
  }
  return name;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export default class SkippedSuitesReporter implements Reporter {
  private vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const groups = new Map<string, Group>();
    for (const module of testModules) {
      for (const test of module.children.allTests('skipped')) {
        const reason = test.meta().unavailable;
        if (!reason) continue;
        const where = `${module.project.name} › ${module.relativeModuleId} › ${outerSuite(test)}`;
        const key = `${where}\0${reason}`;
        const group = groups.get(key) ?? { where, reason, tests: 0 };
        group.tests += 1;
        groups.set(key, group);
      }
    }
    if (groups.size === 0) return;
    const total = [...groups.values()].reduce((sum, group) => sum + group.tests, 0);
    const lines = ['', ` Skipped: ${plural(total, 'test')} in ${plural(groups.size, 'suite')} could not run here (CI=true fails on them):`];
    for (const reason of new Set([...groups.values()].map((group) => group.reason))) {
      lines.push(`   ${reason}`);
      for (const group of groups.values()) {
        if (group.reason === reason) lines.push(`     - ${group.where} (${plural(group.tests, 'test')})`);
      }
    }
    lines.push('');
    const log = this.vitest?.logger.log.bind(this.vitest.logger) ?? console.log;
    log(lines.join('\n'));
  }
}
