#!/usr/bin/env node
// The command line runs the compiled code: decorators need tsc's emitDecoratorMetadata (see CONVENTIONS.md).
import '../dist/src/app/cli.js';
