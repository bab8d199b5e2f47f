#!/usr/bin/env node
// The `agentvault-server` command: runs the build (dist/main.js).
await import('../dist/main.js');
