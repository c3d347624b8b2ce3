// Preloaded into Prism by the conformance tests (`node --require ./prism-watchdog.cjs ...`):
// Prism exits when the test process that started it goes away, even when that process is
// killed without running its cleanup, because the test's end of this stdin pipe closes then.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
