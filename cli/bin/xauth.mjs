#!/usr/bin/env node
// The `xauth` command (`npx xauth dlq ...`). A committed shim rather than the built file: npm links
// a package's bins when it installs, before `tsc -b` has built dist/, and skips a bin whose file is
// missing; without the link, `npx xauth` runs whatever else is called xauth (X11's, on many machines).
await import('../dist/src/main.js');
