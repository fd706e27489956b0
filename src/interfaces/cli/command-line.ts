/**
 * The arguments every entry point takes: `--help` (or `-h`) prints the usage
 * on stdout and the command exits 0 without touching storage; anything else
 * is a usage error (exit 64, EX_USAGE). Configuration itself comes only from
 * the environment. Returns true when the command should run.
 */
export function acceptArguments(argv: readonly string[], usage: string): boolean {
  if (argv.length === 0) return true;
  if (argv.length === 1 && (argv[0] === "--help" || argv[0] === "-h")) {
    process.stdout.write(`${usage}\n`);
    process.exitCode = 0;
    return false;
  }
  process.stderr.write(`unknown argument ${JSON.stringify(argv[0])}; configuration comes from environment variables\n\n${usage}\n`);
  process.exitCode = 64;
  return false;
}
