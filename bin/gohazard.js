#!/usr/bin/env node
// A reader that stops early (`gohazard rules | head -1`) closes the pipe: the rest of the output has
// nowhere to go, which is the reader's choice and no failure of ours. Node ignores SIGPIPE, so without
// this the write's EPIPE would end the run with a stack trace.
// Any other write error (a full disk, `> /dev/full`, an I/O error) means the report is lost: one line
// says so and the run ends with exit 2, the code for a run that could not do its job.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') return;
    if (stream === process.stdout) {
      try {
        process.stderr.write(`gohazard: error: cannot write to stdout: ${err.code ?? err.message}\n`);
      } catch {
        // stderr is broken too: the exit code is all that is left.
      }
    }
    process.exit(2);
  });
}

// The parser is a native module, loaded with the CLI. When its binary is missing (install scripts were
// skipped) or does not fit the system (an older libstdc++), say what failed and how to fix it, in one line.
let cli;
try {
  cli = await import('../dist/src/cli.js');
} catch (err) {
  if (!isNativeLoadError(err)) throw err;
  const first = String(err.message).split('\n')[0];
  process.stderr.write(
    `gohazard: error: the tree-sitter parser (a native module) cannot load: ${first}; ` +
      'fix: allow install scripts for tree-sitter and tree-sitter-go and reinstall, or install a C++ toolchain ' +
      '(Debian: apt-get install g++ make python3) and run npm rebuild tree-sitter tree-sitter-go\n',
  );
  process.exit(2);
}
process.exitCode = await cli.main(process.argv);

function isNativeLoadError(err) {
  return err?.code === 'ERR_DLOPEN_FAILED' || /No native build was found|\.node\b|invalid ELF header|GLIBCXX|NODE_MODULE_VERSION/.test(String(err?.message));
}
