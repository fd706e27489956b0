// Loaded by mocha before any test file (.mocharc.json): tsyringe needs the Reflect polyfill first.
import "reflect-metadata";
