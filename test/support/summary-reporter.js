// Prints one plain closing line, "Summary: N passed, N failed, N skipped", as the very last
// line of a run (after Jest's own summary), so tools that read a run's last line can count.
const { writeSync } = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `Summary: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`;
    process.once('exit', () => writeSync(1, line));
  }
}

module.exports = SummaryReporter;
