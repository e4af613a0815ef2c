#!/usr/bin/env node
// Entry point of the `oncely` CLI: the compiled command line, no TypeScript loader at run time.
import { main } from '../dist/esm/main.js';

process.exitCode = await main(process.argv.slice(2));
