/** `parkir quote`: the price of one stay under a pricing policy, as JSON. */
import { type Command, InvalidArgumentError } from "commander";
import { vehicleCode } from "../catalog/vehicles.js";
import { formatIssues, ParkirConfigError } from "../errors/index.js";
import { seedPath } from "../paths.js";
import { compileTariffs, loadPolicyFile, type Policy, quote } from "../pricing/index.js";
import { CliError } from "./errors.js";
import { cityFromFile, writeOutput } from "./io.js";
import { existingFile, isoTime } from "./options.js";

interface QuoteOptions {
  city?: string;
  policy?: string;
  variant?: string;
  zone: string;
  vehicle: string;
  start: number;
  end: number;
  assurance: "locked" | "integrated";
}

function vehicle(value: string): string {
  if (vehicleCode(value) < 0)
    throw new InvalidArgumentError(
      "must be a vehicle class: motorcycle, three_wheeler, car, heavy (or an alias such as 2, 4, van)",
    );
  return value;
}

function assurance(value: string): "locked" | "integrated" {
  if (value !== "locked" && value !== "integrated")
    throw new InvalidArgumentError("must be locked or integrated");
  return value;
}

/** Registers `parkir quote`. */
export function register(program: Command): void {
  program
    .command("quote")
    .summary("price one stay under a pricing policy")
    .description(
      "Print the amount due for one stay as JSON: amount (integer minor units, e.g. rupiah), currency and a " +
        "line-by-line breakdown. Times are ISO-8601 with an offset (or ms since the epoch); local rules use the " +
        "city's time zone. Without a price history the published tariff applies, so both assurance modes agree.",
    )
    .option("--city <file>", "city catalogue JSON (default: the bundled seeds/palu/city.json)", existingFile)
    .option(
      "--policy <file>",
      "pricing policy JSON (default: the bundled seeds/palu/policy.json)",
      existingFile,
    )
    .option("--variant <name>", "policy variant to apply (e.g. dynamic)")
    .requiredOption("--zone <id>", "zone id, e.g. PLU-001")
    .requiredOption("--vehicle <class>", "vehicle class: motorcycle, three_wheeler, car or heavy", vehicle)
    .requiredOption("--start <time>", "arrival, e.g. 2026-11-30T09:00:00+08:00", isoTime)
    .requiredOption("--end <time>", "departure", isoTime)
    .option(
      "--assurance <mode>",
      "locked (prices at arrival hold for the stay) or integrated (each unit at its start)",
      assurance,
      "locked",
    )
    .addHelpText(
      "after",
      "\nExample:\n  parkir quote --zone PLU-001 --vehicle car \\\n" +
        "    --variant dynamic --start 2026-11-30T09:00:00+08:00 --end 2026-11-30T10:30:00+08:00",
    )
    .action((opts: QuoteOptions) => runQuote(opts));
}

function runQuote(opts: QuoteOptions): void {
  const city = cityFromFile(opts.city ?? seedPath("palu", "city.json"));
  const policyPath = opts.policy ?? seedPath("palu", "policy.json");
  let policy: Policy;
  try {
    policy = loadPolicyFile(policyPath, opts.variant === undefined ? {} : { variant: opts.variant });
  } catch (e) {
    throw configError(policyPath, e);
  }
  if (opts.end < opts.start) throw new CliError("--end must not be before --start");
  let result: ReturnType<typeof quote>;
  try {
    const table = compileTariffs(city, policy);
    result = quote(table, {
      zone: opts.zone,
      vehicleType: opts.vehicle,
      startMs: opts.start,
      endMs: opts.end,
      assurance: opts.assurance,
    });
  } catch (e) {
    if (e instanceof ParkirConfigError && e.message.startsWith("invalid quote request"))
      throw new CliError(
        formatIssues(
          e.issues.map((i) => ({ ...i, path: `--${i.path === "vehicleType" ? "vehicle" : i.path}` })),
        ),
      );
    throw configError(policyPath, e);
  }
  writeOutput(undefined, `${JSON.stringify(result, null, 2)}\n`);
}

function configError(path: string, e: unknown): unknown {
  if (e instanceof ParkirConfigError) return new CliError(`${path}: ${formatIssues(e.issues, "\n  ")}`, 2);
  return e;
}
