// Command report prints a day's KPIs against their benchmarks and writes a
// self-contained HTML page with charts to .conduit/reports/<date>.html
// (scripts/report). It reads the local stack's KPI store directly — the
// DynamoDB Local of scripts/dev, or the data it left under .conduit/data —
// and, unless told not to, first recomputes the day's buckets from its
// contacts with a rollup backfill, so the report is current.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/conduit-cx/conduit/scripts/devstack"
	"github.com/conduit-cx/conduit/scripts/reportgen"
	"github.com/conduit-cx/conduit/shared/kpi"
	"github.com/conduit-cx/conduit/shared/rollup"
	"github.com/conduit-cx/conduit/shared/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "conduit:", err)
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	date := fs.String("date", time.Now().UTC().Format("2006-01-02"), "the day to report, YYYY-MM-DD (UTC)")
	out := fs.String("out", "", "folder of the HTML page (default .conduit/reports)")
	refresh := fs.Bool("rollup", true, "recompute the day's KPI buckets from its contacts first")
	days := fs.Int("lift-days", reportgen.DefaultLiftDays, "days of lift to chart and sum, ending with the day")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; usage: scripts/report [-date YYYY-MM-DD] [-out DIR] [-rollup=false] [-lift-days N]", fs.Arg(0))
	}
	day, err := time.Parse("2006-01-02", *date)
	if err != nil {
		return fmt.Errorf("-date %q is not a date such as 2026-03-02", *date)
	}
	if *days < 1 || *days > 90 {
		return errors.New("-lift-days must be from 1 to 90")
	}
	stack, err := devstack.Start(ctx, devstack.Options{Say: func(f string, a ...any) { fmt.Fprintf(stderr, "conduit: "+f+"\n", a...) }})
	if err != nil {
		return err
	}
	defer stack.Stop()
	kpis := store.NewKPIs(stack.Clients.Dynamo, store.TablesFor(devstack.Stage))
	now := time.Now().UTC()

	if *refresh {
		to := day.Add(24 * time.Hour)
		if now.Before(to) {
			to = now
		}
		if day.Before(to) {
			job := &rollup.Job{Contacts: kpis, Buckets: kpis, Watermarks: kpis}
			rep, err := job.Run(ctx, rollup.Request{Backfill: true, From: day, To: to})
			if err != nil {
				return fmt.Errorf("rollup of %s: %w", *date, err)
			}
			fmt.Fprintf(stderr, "conduit: rolled up %d contacts of %s (%d KPI items written, %d unchanged)\n", rep.Contacts, *date, rep.Written, rep.Unchanged)
		}
	}

	defs := kpi.Catalog()
	sets, err := kpis.Benchmarks(ctx)
	if err != nil {
		return err
	}
	for i, d := range defs {
		if s, ok := sets[d.Name]; ok {
			b := s.Benchmark
			defs[i] = d.WithBenchmark(&b)
		}
	}
	rep, err := reportgen.Build(ctx, kpis, reportgen.Options{Day: day, LiftDays: *days, Definitions: defs}, now)
	if err != nil {
		return err
	}
	if err := reportgen.WriteTable(stdout, rep); err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join(stack.Paths.Dir, "reports")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, *date+".html")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := reportgen.WriteHTML(f, rep); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nHTML report: %s\n", path)
	return nil
}
