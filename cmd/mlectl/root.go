package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// newRootCommand is mlectl's command tree. Without a command it opens the
// console (its flags are the root's); `completion bash|zsh|fish|powershell`
// and `help` are cobra's. Commands write to stdout and stderr.
func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	root := newLeaf(&cobra.Command{
		Use:   "mlectl",
		Short: "the on-call console for production ML models",
		Long: `mlectl is the on-call console for production ML models. Without a command it
opens the interactive console on a collector; "mlectl demo" runs everything in
one process; the commands below serve scripts. Bad input exits 2 with the
reason, failures exit 1. Commands that talk to the collector take --collector
URL (default $MLECTL_COLLECTOR, else ` + collectorDefaultURL + `) and --token
(default $MLECTL_TOKEN).`,
		Example: `  mlectl                                          # the console on $MLECTL_COLLECTOR
  mlectl --collector http://10.0.0.7:9710 --read-only --ascii
  mlectl demo                                     # collector, simulated models and an incident
  source <(mlectl completion bash)                # shell completion (see mlectl completion --help)`,
		SilenceErrors:              true, // exitStatus prints them, with the exit status README documents
		SilenceUsage:               true,
		Args:                       noCommandWord,
		SuggestionsMinimumDistance: 2, // "rollbak" suggests rollback
	}, runConsole)
	root.AddCommand(
		newLeaf(&cobra.Command{
			Use:   "console",
			Short: "open the interactive console (the default without a command)",
			Long:  consoleUsage,
			Example: `  mlectl console --collector http://127.0.0.1:9710 --view alerts
  mlectl --ascii --refresh 10s                    # the same console: it is the default
  MLECTL_TOKEN=$(cat ~/.mlectl-token) mlectl --read-only`,
		}, runConsole),
		newLeaf(&cobra.Command{
			Use:   "demo",
			Short: "run the product on its embedded default: collector, simulated models, a drift incident",
			Example: `  mlectl demo
  mlectl demo --incident-after 20s --ascii
  mlectl demo --headless --listen 127.0.0.1:9711  # then: mlectl --collector http://127.0.0.1:9711`,
		}, runDemo),
		newLeaf(&cobra.Command{
			Use:   "drift",
			Short: "compare a reference and a current CSV, feature by feature",
			Long:  driftUsage,
			Example: `  mlectl drift --reference train.csv --current today.csv
  mlectl drift --reference train.csv --current today.csv --categorical season,weather --output json
  mlectl drift --reference train.csv --current today.csv --columns temp,hum --method psi`,
		}, runDrift),
		alertsCommand(),
		modelsCommand(),
		versionsCommand(),
		newLeaf(&cobra.Command{
			Use:               "rollback MODEL",
			Short:             "roll a model's production back to the previous or a given version",
			Example:           `  mlectl rollback demand --reason "temp drifted after the v12 rollout"` + "\n" + `  mlectl rollback fraud --to v1 --reason "v2 rejects valid cards" --dry-run`,
			ValidArgsFunction: completeModel,
		}, runRollback),
		newLeaf(&cobra.Command{
			Use:               "promote MODEL VERSION",
			Short:             "promote a shadow or canary version to production",
			Example:           "  mlectl promote fraud v2 --dry-run\n  mlectl promote fraud v2",
			ValidArgsFunction: completeModelVersion,
		}, runPromote),
		newLeaf(&cobra.Command{
			Use:               "set-traffic MODEL VERSION PERCENT",
			Short:             "send a percentage of traffic to a canary version",
			Example:           "  mlectl set-traffic fraud v2 10\n  mlectl set-traffic fraud v2 0    # keep v2 a canary with no traffic",
			ValidArgsFunction: completeModelVersion,
		}, runSetTraffic),
		runbookCommand(),
		newGroup(&cobra.Command{
			Use:     "timeline",
			Short:   "export an incident timeline as a postmortem draft (timeline export)",
			Example: "  mlectl timeline export --model demand --from -1h --format md",
		}, runTimeline, newLeaf(&cobra.Command{
			Use:   "export",
			Short: "write the events of a window as a Markdown postmortem draft or JSON",
			Example: `  mlectl timeline export --model demand --from -1h --format md
  mlectl timeline export --model fraud --from 2026-11-20T13:00:00Z --to 2026-11-20T16:00:00Z --format md -o pm.md
  mlectl timeline export --model fraud --from -6h --format json`,
		}, runTimeline, "export")),
		newLeaf(&cobra.Command{
			Use:               "annotate MODEL TEXT",
			Short:             "add a note to a model's event log",
			Example:           `  mlectl annotate fraud "upstream started sending amount in cents"` + "\n" + `  mlectl annotate fraud "v2 rollout paused" --version v2`,
			ValidArgsFunction: completeModel,
		}, runAnnotate),
		newGroup(&cobra.Command{
			Use:     "audit",
			Short:   "verify or list the hash-chained audit log (audit verify|list)",
			Example: "  mlectl audit verify\n  mlectl audit list --limit 20",
		}, runAudit,
			newLeaf(&cobra.Command{
				Use:     "verify",
				Short:   "walk the audit chain; exit 1 when an entry was changed or removed",
				Example: "  mlectl audit verify\n  mlectl audit verify --json",
			}, runAudit, "verify"),
			newLeaf(&cobra.Command{
				Use:     "list",
				Short:   "print the audit entries",
				Example: "  mlectl audit list\n  mlectl audit list --from 200 --limit 50 --json",
			}, runAudit, "list"),
		),
		newGroup(&cobra.Command{
			Use:     "logs",
			Short:   "export logged predictions of a model (logs export MODEL --from --to --format csv|ndjson)",
			Long:    logsUsage,
			Example: "  mlectl logs export demand --from -1h --format csv > demand.csv",
		}, runLogs, newLeaf(&cobra.Command{
			Use:   "export MODEL",
			Short: "stream a model's logged predictions as NDJSON or CSV",
			Long:  logsUsage,
			Example: `  mlectl logs export demand --from -1h --format csv > demand.csv
  mlectl logs export fraud --from 2026-11-20T13:00:00Z --to 2026-11-20T16:00:00Z --injected exclude`,
			ValidArgsFunction: completeModel,
		}, runLogs, "export")),
		newGroup(&cobra.Command{
			Use:     "baseline",
			Short:   "store a model version's training profile (baseline import MODEL VERSION FILE.csv|.parquet)",
			Long:    baselineUsage,
			Example: "  mlectl baseline import fraud v2 train.csv\n  mlectl baseline show fraud v2",
		}, runBaseline,
			newLeaf(&cobra.Command{
				Use:               "import MODEL VERSION FILE.csv|FILE.parquet",
				Short:             "profile the training data in FILE (CSV or Parquet) and store it as MODEL VERSION's baseline",
				Long:              baselineUsage,
				Example:           "  mlectl baseline import fraud v2 train.csv\n  mlectl baseline import demand v12 train.parquet --categorical season,weather",
				ValidArgsFunction: completeModelVersion,
			}, runBaseline, "import"),
			newLeaf(&cobra.Command{
				Use:               "show MODEL VERSION",
				Short:             "print MODEL VERSION's stored training profile as JSON",
				Long:              baselineUsage,
				Example:           "  mlectl baseline show fraud v2",
				ValidArgsFunction: completeModelVersion,
			}, runBaseline, "show"),
		),
		shadowCommand(),
		newGroup(&cobra.Command{
			Use:     "slo",
			Short:   "generate Prometheus SLO recording and burn-rate alert rules (Sloth compatible)",
			Long:    sloUsage,
			Example: "  mlectl slo generate slo/fraud.yml -o rules.yml\n  mlectl slo validate slo/fraud.yml",
		}, runSLO,
			newLeaf(&cobra.Command{
				Use:     "generate FILE.yaml",
				Short:   "print the Prometheus rule file for the SLO specs in FILE.yaml",
				Long:    sloUsage,
				Example: "  mlectl slo generate slo/fraud.yml -o rules.yml\n  mlectl slo generate spec.yaml --period 28d -l team=risk",
			}, runSLOGenerate),
			newLeaf(&cobra.Command{
				Use:     "validate FILE.yaml",
				Short:   "check FILE.yaml and list its SLOs",
				Long:    sloUsage,
				Example: "  mlectl slo validate slo/fraud.yml\n  cat spec.yaml | mlectl slo validate -",
			}, runSLOValidate),
		),
		gamedayCommand(),
		trainingRunsCommand(),
		newLeaf(&cobra.Command{
			Use:   "serve",
			Short: "serve the console over SSH: one session per engineer, the role by key",
			Long:  serveUsage,
			Example: `  mlectl serve --ssh 127.0.0.1:2222 --collector http://127.0.0.1:9710 --keys keys.yaml
  mlectl serve --ssh :2222 --keys /etc/mlectl/keys.yaml --host-key /var/lib/mlectl/ssh_host_ed25519 --idle-timeout 1h`,
		}, runServe),
		newLeaf(&cobra.Command{
			Use:   "loadgen MODEL",
			Short: "post CSV rows as predictions at a fixed rate (loadgen MODEL --rate R --from-csv FILE)",
			Long:  loadgenUsage,
			Example: `  mlectl loadgen demand --rate 50 --from-csv day.csv
  mlectl loadgen fraud --rate 200 --from-csv cards.csv --version v2 --duration 10m --order sequential`,
			ValidArgsFunction: completeModel,
		}, runLoadgen),
	)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetHelpCommand(helpCommand())
	refuseUnknownShells(root) // after SetOut: the completion commands keep the writer they find
	return root
}

// refuseUnknownShells makes `mlectl completion tcsh` bad input (exit 2):
// cobra's completion command, having no body, would print its help and
// exit 0. Its Args (none allowed) now run before the body does. It gets
// examples like every command (its shells' help says more).
func refuseUnknownShells(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
			c.Example = `  source <(mlectl completion bash)                # bash, this shell (needs bash-completion)
  mlectl completion zsh > "${fpath[1]}/_mlectl"   # zsh, every new shell
  mlectl completion fish | source                 # fish, this shell`
		}
	}
}

// helpCommand is cobra's help command, except that a topic that is no
// command is bad input (exit 2) where cobra's prints the usage and exits 0.
func helpCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "help [COMMAND...]",
		Short:   "a command's description, examples and flags (the same as COMMAND --help)",
		Example: "  mlectl help\n  mlectl help models list",
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil {
				return err
			}
			if len(rest) > 0 {
				return fmt.Errorf("unknown help topic %q (see mlectl help)", strings.Join(args, " "))
			}
			return cmd.Help()
		},
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			cmd, _, err := c.Root().Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []cobra.Completion
			for _, sub := range cmd.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					names = append(names, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
	}
}

func alertsCommand() *cobra.Command {
	return newGroup(&cobra.Command{
		Use:   "alerts",
		Short: "list, acknowledge and silence alerts (alerts list|ack ID|silence|silences|expire ID)",
		Example: `  mlectl alerts list
  mlectl alerts silence --matcher 'alertname="FeatureDrift"' --duration 1h --comment "retraining demand"`,
	}, runAlerts,
		newLeaf(&cobra.Command{
			Use:     "list",
			Short:   "list firing and pending alerts",
			Example: "  mlectl alerts list\n  mlectl alerts list --json",
		}, runAlerts, "list"),
		newLeaf(&cobra.Command{
			Use:     "ack ID",
			Short:   "acknowledge an alert (ID from mlectl alerts list)",
			Example: `  mlectl alerts ack ID --comment "looking at the temp feed"`,
		}, runAlerts, "ack"),
		newLeaf(&cobra.Command{
			Use:   "silence",
			Short: "silence the alerts that match every --matcher for --duration",
			Example: `  mlectl alerts silence --matcher 'alertname="FeatureDrift"' --duration 1h --comment "retraining demand"
  mlectl alerts silence --matcher 'alertname="FeatureDrift"' --matcher 'model="demand"' --duration 30m --comment "known"`,
		}, runAlerts, "silence"),
		newLeaf(&cobra.Command{
			Use:     "silences",
			Short:   "list silences, active and expired",
			Example: "  mlectl alerts silences\n  mlectl alerts silences --json",
		}, runAlerts, "silences"),
		newLeaf(&cobra.Command{
			Use:     "expire ID",
			Short:   "end a silence now (ID from mlectl alerts silences)",
			Example: "  mlectl alerts expire ID",
		}, runAlerts, "expire"),
	)
}

func modelsCommand() *cobra.Command {
	return newGroup(&cobra.Command{
		Use:     "models",
		Short:   "list and show registered models (models list|show|set)",
		Example: "  mlectl models list\n  mlectl models show fraud",
	}, runModels,
		newLeaf(&cobra.Command{
			Use:     "list",
			Short:   "list the registered models with their production, canary and shadow versions",
			Example: "  mlectl models list\n  mlectl models list --json",
		}, runModels, "list"),
		newLeaf(&cobra.Command{
			Use:               "show MODEL",
			Short:             "show a model: actuator, rollback target, last action and versions",
			Example:           "  mlectl models show fraud\n  mlectl models show fraud --json",
			ValidArgsFunction: completeModel,
		}, runModels, "show"),
		newLeaf(&cobra.Command{
			Use:   "set MODEL",
			Short: "set a model's owner, description and actuator (how rollbacks and promotions are carried out)",
			Example: `  mlectl models set fraud --actuator webhook --url http://rollouts.internal/hooks/fraud --owner risk-team
  mlectl models set fraud --actuator exec --command sh --command -c \
      --command 'kubectl -n serving rollout undo deploy/$MLECTL_MODEL'`,
			ValidArgsFunction: completeModel,
		}, runModels, "set"),
	)
}

func versionsCommand() *cobra.Command {
	return newGroup(&cobra.Command{
		Use:     "versions",
		Short:   "register and list model versions (versions register|list|archive)",
		Example: "  mlectl versions list fraud\n  mlectl versions register fraud v3 --artifact s3://models/fraud/v3.json --file ./v3.json --stage shadow",
	}, runVersions,
		newLeaf(&cobra.Command{
			Use:   "register MODEL VERSION",
			Short: "register a model version with its artifact, checksum, baseline and metrics",
			Example: `  mlectl versions register fraud v1 --artifact s3://models/fraud/v1.json --file ./v1.json \
      --baseline s3://data/fraud/train-2026-10.parquet --metric auc=0.91 --stage production
  mlectl versions register fraud v2 --artifact s3://models/fraud/v2.json --sha256 HEX --stage shadow`,
			ValidArgsFunction: completeModel,
		}, runVersions, "register"),
		newLeaf(&cobra.Command{
			Use:               "list MODEL",
			Short:             "list a model's versions",
			Example:           "  mlectl versions list fraud\n  mlectl versions list fraud --json",
			ValidArgsFunction: completeModel,
		}, runVersions, "list"),
		newLeaf(&cobra.Command{
			Use:               "archive MODEL VERSION",
			Short:             "retire a version: no action may target it",
			Example:           "  mlectl versions archive fraud v1",
			ValidArgsFunction: completeModelVersion,
		}, runVersions, "archive"),
		newLeaf(&cobra.Command{
			Use:               "unarchive MODEL VERSION",
			Short:             "bring an archived version back",
			Example:           "  mlectl versions unarchive fraud v1",
			ValidArgsFunction: completeModelVersion,
		}, runVersions, "unarchive"),
	)
}

func runbookCommand() *cobra.Command {
	return newGroup(&cobra.Command{
		Use:     "runbook",
		Short:   "list, show and run runbook steps (runbook list|show|run)",
		Example: "  mlectl runbook list\n  mlectl runbook run feature-drift --step 1 --set model=fraud",
	}, runRunbook,
		newLeaf(&cobra.Command{
			Use:     "list",
			Short:   "list the collector's runbooks",
			Example: "  mlectl runbook list",
		}, runRunbook, "list"),
		newLeaf(&cobra.Command{
			Use:     "show ID",
			Short:   "print a runbook's Markdown",
			Example: "  mlectl runbook show feature-drift",
		}, runRunbook, "show"),
		newLeaf(&cobra.Command{
			Use:   "run ID",
			Short: "run one step of a runbook: its pre-checks, then its action after confirmation",
			Example: `  mlectl runbook run feature-drift --step 1 --set model=fraud --set version=v2
  mlectl runbook run feature-drift --step 5 --set model=fraud          # asks "Run rollback now? [y/N]"
  mlectl runbook run feature-drift --step 5 --set model=fraud --yes    # no prompt`,
		}, runRunbook, "run"),
	)
}

func shadowCommand() *cobra.Command {
	return newGroup(&cobra.Command{
		Use:   "shadow",
		Short: "score inputs through a model file (shadow score) and compare models",
		Example: `  mlectl shadow score --model model.json --input rows.csv
  mlectl shadow explain --model model.json --input rows.csv --output contribs.csv
  mlectl shadow report fraud --from -6h
  mlectl shadow replay fraud --model v2.json`,
	}, runShadow,
		newLeaf(&cobra.Command{
			Use:   "score",
			Short: "score every input row through a tree-ensemble model file",
			Long:  strings.TrimSuffix(shadowUsage, "\nflags:\n"),
			Example: `  mlectl shadow score --model model.json --input rows.csv --output predictions.txt
  mlectl shadow score --model model.txt --format lightgbm --input rows.libsvm --raw`,
		}, runShadowScore),
		newLeaf(&cobra.Command{
			Use:   "explain",
			Short: "write each input row's per-feature TreeSHAP contributions (bias last)",
			Long:  strings.TrimSuffix(shadowExplainUsage, "\nflags:\n"),
			Example: `  mlectl shadow explain --model model.json --input rows.csv --output contribs.csv
  mlectl shadow explain --model model.txt --format lightgbm --input rows.csv --label-column 0`,
		}, runShadowExplain),
		newLeaf(&cobra.Command{
			Use:   "report MODEL",
			Short: "compare a model's production version with its candidate on the collector",
			Long:  shadowReportUsage,
			Example: `  mlectl shadow report fraud
  mlectl shadow report fraud --from -6h --candidate v2 --source replay -o json`,
			ValidArgsFunction: completeModel,
		}, runShadowReport),
		newLeaf(&cobra.Command{
			Use:   "replay MODEL",
			Short: "replay a model's logged production records through a candidate model file here",
			Long:  shadowReplayUsage,
			Example: `  mlectl shadow replay fraud --model v2.json
  mlectl shadow replay bike --model bike.json --from -2h --batch 256 -o json`,
			ValidArgsFunction: completeModel,
		}, runShadowReplay),
	)
}

func gamedayCommand() *cobra.Command {
	return newGroup(&cobra.Command{
		Use:     "gameday",
		Short:   "inject faults into a model's traffic and run scripted game days (gameday inject|list|stop|run)",
		Long:    gamedayUsage,
		Example: "  mlectl gameday inject demand --feature temp --kind shift --magnitude 3 --duration 10m\n  mlectl gameday run examples/gameday-temp-shift.yaml",
	}, runGameday,
		newLeaf(&cobra.Command{
			Use:               "inject MODEL",
			Short:             "rewrite a model's incoming predictions for a while, marked injected",
			Long:              gamedayUsage,
			Example:           "  mlectl gameday inject demand --feature temp --kind shift --magnitude 3 --duration 10m\n  mlectl gameday inject fraud --kind errors --magnitude 0.2 --duration 5m --version v2",
			ValidArgsFunction: completeModel,
		}, runGameday, "inject"),
		newLeaf(&cobra.Command{
			Use:     "list",
			Short:   "list injections, active and ended",
			Example: "  mlectl gameday list\n  mlectl gameday list --json",
		}, runGameday, "list"),
		newLeaf(&cobra.Command{
			Use:     "stop ID",
			Short:   "stop an injection now (ID from mlectl gameday list)",
			Example: "  mlectl gameday stop inj-mwyc3k2a-1",
		}, runGameday, "stop"),
		newLeaf(&cobra.Command{
			Use:     "run SCENARIO.yaml",
			Short:   "play a scripted game day and report time to detect; exit 1 when an expectation fails",
			Long:    gamedayUsage,
			Example: "  mlectl gameday run examples/gameday-temp-shift.yaml\n  mlectl gameday run examples/gameday-temp-shift.yaml -o json --report report.json",
		}, runGameday, "run"),
	)
}
