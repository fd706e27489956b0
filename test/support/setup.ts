// Loaded by mocha before any test file (.mocharc.json): tsyringe needs the Reflect polyfill first.
import "reflect-metadata";
import { removeTemporaryDirectories } from "./test-storage";

// Whatever a failed test or hook left behind goes when the run ends, also when mocha is interrupted.
process.once("exit", removeTemporaryDirectories);

export const mochaHooks = {
  afterAll(): void {
    removeTemporaryDirectories();
  },
};
