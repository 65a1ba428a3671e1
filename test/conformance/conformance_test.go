// Package conformance_test runs tests of the Gateway API conformance suite
// (sigs.k8s.io/gateway-api/conformance, the version in go.mod) against the
// cluster KUBECONFIG points at. conformance.test.ts builds it with build.sh,
// starts the cluster and the controller, runs it through `go tool test2json`
// and reads the verdict of each test from that stream.
//
// Every flag of the suite applies (--gateway-class, --timeout-config-overrides,
// --cleanup-base-resources, ...); --tests adds the choice of tests.
package conformance_test

import (
	"flag"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/gateway-api/conformance"
	"sigs.k8s.io/gateway-api/conformance/tests"
	"sigs.k8s.io/gateway-api/pkg/features"
)

var testNames = flag.String("tests", "",
	"comma-separated ShortNames of the conformance tests to run; every other test is skipped")

func TestConformance(t *testing.T) {
	opts := conformance.DefaultOptions(t)

	wanted := sets.New[string]()
	for name := range strings.SplitSeq(*testNames, ",") {
		if name = strings.TrimSpace(name); name != "" {
			wanted.Insert(name)
		}
	}
	if wanted.Len() == 0 {
		t.Fatal("--tests names no test")
	}

	known := sets.New[string]()
	needed := sets.New[features.FeatureName]()
	for _, test := range tests.ConformanceTests {
		known.Insert(test.ShortName)
		if wanted.Has(test.ShortName) {
			needed.Insert(test.Features...)
		} else {
			opts.SkipTests = append(opts.SkipTests, test.ShortName)
		}
	}
	// A misspelt name must fail loudly rather than leave a test silently unrun.
	if unknown := wanted.Difference(known); unknown.Len() > 0 {
		t.Fatalf("--tests names tests this suite does not have: %s", strings.Join(sets.List(unknown), ", "))
	}

	// What the GatewayClass announces in status.supportedFeatures is not under test here: each chosen
	// test runs, whatever the controller claims, unless features were given explicitly.
	if len(opts.SupportedFeatures) == 0 && !opts.EnableAllSupportedFeatures {
		opts.SupportedFeatures = sets.List(needed)
	}
	slices.Sort(opts.SkipTests)

	conformance.RunConformanceWithOptions(t, opts)
}
