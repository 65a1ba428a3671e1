import { parseArgs } from "node:util";
import { EXIT_OK, EXIT_PROBLEMS, UsageError, type CliContext, type Command } from "./command.ts";
import {
  COMMON_OPTIONS,
  COMMON_OPTIONS_HELP,
  commonArgs,
  loadAndTranslate,
  writeLines,
} from "./offline.ts";
import { isOutputFormat, OUTPUT_FORMATS, renderConfig, renderDocument } from "./output.ts";
import { statusView } from "./statuses.ts";
import { redactConfig, scrubText, secretValues } from "../kong/redact.ts";
import { sortKeys } from "../util/stable-json.ts";

/** The flavours whose routes differ: `traditional` routes are `traditional_compatible`'s. */
const TRANSLATE_FLAVORS = ["traditional_compatible", "expressions"] as const;

const HELP = `Usage: kongress translate -f PATH [-f PATH ...] [-o json|yaml] [--status] [--redact] [--ingress-class NAME]
                          [--router-flavor traditional_compatible|expressions]

Translates Kubernetes manifests (Ingress, IngressClass, IngressClassParameters, Service,
EndpointSlice, Secret, ConfigMap labelled konghq.com/configmap: "true"; Kong's KongPlugin,
KongClusterPlugin, KongConsumer, KongUpstreamPolicy; and Gateway API GatewayClass, Gateway,
HTTPRoute, GRPCRoute, TCPRoute, UDPRoute, TLSRoute, ReferenceGrant, in every version still in use)
offline into the Kong declarative configuration the controller would POST to Kong's /config, and
prints it on stdout.

Options:
${COMMON_OPTIONS_HELP}
  -o, --output FORMAT       json (default; 2-space indented, keys sorted) or yaml.
      --status              Print { config, statuses }: also the status each Gateway API object of
                            ours would get (conditions, listeners, route parents).
      --router-flavor FLAVOR
                            The router_flavor of the Kong the config is for:
                            ${TRANSLATE_FLAVORS.join(" or ")} (default: traditional_compatible).
                            With expressions, routes carry \`expression\` and \`priority\` as
                            Kong's controller writes them.
      --redact              Replace every secret (credentials, private keys, plugin config from
                            Secrets) with {vault://redacted-value}, for CI logs.
  -h, --help                Show this help.

Each object problem is one line on stderr: KIND NAMESPACE/NAME: REASON: MESSAGE; a route that does not
attach, a listener that is not accepted or a reference that does not resolve is one too. Objects of
other kinds are ignored with a note on stderr.

Exit status:
  0  every object translated
  1  some object has a problem; the configuration without it is still printed
  2  usage, file or parse error (the message names the file and, for YAML, the line); nothing on stdout
`;

async function run(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      ...COMMON_OPTIONS,
      output: { type: "string", short: "o" },
      status: { type: "boolean" },
      "router-flavor": { type: "string" },
      redact: { type: "boolean" },
    },
    strict: true,
    allowPositionals: false,
  });
  const routerFlavor = values["router-flavor"] ?? "traditional_compatible";
  if (!(TRANSLATE_FLAVORS as readonly string[]).includes(routerFlavor))
    throw new UsageError(
      `--router-flavor ${JSON.stringify(routerFlavor)}: expected one of ${TRANSLATE_FLAVORS.join(", ")}`,
    );
  const common = {
    ...commonArgs(values),
    routerFlavor: routerFlavor as (typeof TRANSLATE_FLAVORS)[number],
    now: ctx.now(),
  };
  const format = values.output ?? "json";
  if (!isOutputFormat(format))
    throw new UsageError(
      `-o ${JSON.stringify(format)}: expected one of ${OUTPUT_FORMATS.join(", ")}`,
    );
  const { result, notes, problems } = await loadAndTranslate(common, ctx.cwd);
  // stderr goes to CI logs whatever the flag: a problem that quotes a secret never shows it.
  const secrets = secretValues(result.config);
  writeLines(
    ctx.stderr,
    [...notes, ...problems].map(line => scrubText(line, secrets)),
  );
  const config = values.redact === true ? redactConfig(result.config) : result.config;
  ctx.stdout.write(
    values.status === true
      ? renderDocument(
          {
            config: sortKeys(config),
            statuses: statusView(result.gatewayApi, common.gatewayControllerName),
          },
          format,
        )
      : renderConfig(config, format),
  );
  return problems.length === 0 ? EXIT_OK : EXIT_PROBLEMS;
}

/** `kongress translate`: manifests in, Kong declarative config out. */
export const translateCommand: Command = {
  name: "translate",
  summary: "Print the Kong configuration the controller would send for some manifests.",
  help: () => HELP,
  run,
};
