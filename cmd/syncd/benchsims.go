package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/syncd/syncd/suppliers"
)

// The benchmark's simulators run in a child process (`syncd bench-sims`),
// so the peak memory syncd bench reports is syncd's own: one per
// registered supplier with a simulator, each with a generated catalog.
// The child prints one JSON line, each supplier's settings pointing at its
// simulator, then takes commands on stdin: "change F" changes the cost of
// a share F of every catalog's offers and answers "changed N".

// benchSims are the registered suppliers whose simulators the benchmark
// runs, in registration order (which seeds their catalogs).
func benchSims() []suppliers.Descriptor {
	var out []suppliers.Descriptor
	for _, d := range registered {
		if d.Sim != nil && d.Sim.Bench != nil {
			out = append(out, d)
		}
	}
	return out
}

// runBenchSims is the child.
func runBenchSims(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench-sims", flag.ContinueOnError)
	groups := fs.Int("groups", 500, "games per supplier")
	per := fs.Int("per", 100, "offers per game")
	if err := fs.Parse(args); err != nil {
		return err
	}
	values := map[string]suppliers.Values{}
	var runs []*suppliers.SimRun
	for i, d := range benchSims() {
		run := d.Sim.Bench(*groups, *per, int64(i+1))
		h, err := run.Start("")
		if err != nil {
			return fmt.Errorf("%s simulator: %w", d.Name, err)
		}
		if run.Close != nil {
			defer run.Close()
		}
		url, stop, err := serveLoopback(h)
		if err != nil {
			return err
		}
		defer stop()
		values[d.Name] = run.Values(url)
		runs = append(runs, run)
	}
	line, err := json.Marshal(values)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", line)

	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		arg, ok := strings.CutPrefix(sc.Text(), "change ")
		share, err := strconv.ParseFloat(arg, 64)
		if !ok || err != nil || share <= 0 || share > 1 {
			return fmt.Errorf("bench-sims: unknown command %q", sc.Text())
		}
		n := 0
		for _, run := range runs {
			c, err := run.Change(share)
			if err != nil {
				return err
			}
			n += c
		}
		fmt.Fprintf(stdout, "changed %d\n", n)
	}
	return sc.Err()
}

// simsProcess is the parent's handle on the child.
type simsProcess struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
	// values are each supplier's settings pointing at its simulator.
	values map[string]suppliers.Values
}

func startSimsProcess(groups, per int) (*simsProcess, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "bench-sims", "-groups", strconv.Itoa(groups), "-per", strconv.Itoa(per))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &simsProcess{cmd: cmd, in: in, out: bufio.NewScanner(outPipe)}
	if !p.out.Scan() {
		p.stop()
		return nil, fmt.Errorf("bench-sims did not start: %v", p.out.Err())
	}
	if err := json.Unmarshal(p.out.Bytes(), &p.values); err != nil || len(p.values) == 0 {
		p.stop()
		return nil, fmt.Errorf("bench-sims said %q, want the simulators' settings", p.out.Text())
	}
	return p, nil
}

// change asks the child to change a share of costs; it returns how many.
func (p *simsProcess) change(share float64) (int, error) {
	if _, err := fmt.Fprintf(p.in, "change %g\n", share); err != nil {
		return 0, err
	}
	if !p.out.Scan() {
		return 0, fmt.Errorf("bench-sims stopped: %v", p.out.Err())
	}
	n, err := strconv.Atoi(strings.TrimPrefix(p.out.Text(), "changed "))
	if err != nil {
		return 0, fmt.Errorf("bench-sims said %q", p.out.Text())
	}
	return n, nil
}

func (p *simsProcess) stop() {
	p.in.Close()
	p.cmd.Wait()
}
