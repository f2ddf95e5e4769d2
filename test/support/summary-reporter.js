// Closes a run with the ten slowest test files and one plain line, "Summary: N passed, N failed,
// N skipped", as the very last line (after Jest's own summary), so tools that read a run's last
// line can count.
const { relative } = require('node:path');
const { writeSync } = require('node:fs');

const SLOWEST = 10;

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const files = results.testResults
      .filter((file) => file.perfStats && file.perfStats.end > file.perfStats.start)
      .map((file) => ({
        path: relative(process.cwd(), file.testFilePath),
        seconds: (file.perfStats.end - file.perfStats.start) / 1000,
      }))
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, SLOWEST);
    const slowest = files.length
      ? `Slowest ${files.length} test files:\n${files
          .map((file) => `  ${file.seconds.toFixed(1).padStart(7)} s  ${file.path}`)
          .join('\n')}\n`
      : '';
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `Summary: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`;
    process.once('exit', () => writeSync(1, slowest + line));
  }
}

module.exports = SummaryReporter;
