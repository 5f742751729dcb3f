package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

// The benchmark's simulators run in a child process (`syncd bench-sims`),
// so the peak memory syncd bench reports is syncd's own. The child prints
// its two URLs, then takes commands on stdin: "change F" changes the cost
// of a share F of both catalogs' offers and answers "changed N".

// runBenchSims is the child.
func runBenchSims(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench-sims", flag.ContinueOnError)
	groups := fs.Int("groups", 500, "Senpay providers and Isipay products")
	per := fs.Int("per", 100, "products (variants) per group")
	if err := fs.Parse(args); err != nil {
		return err
	}
	spCat := senpaysim.Generate(*groups, *per, 1)
	ipCat := isipaysim.Generate(*groups, *per, 2)
	sp := senpaysim.New(spCat, senpaysim.Options{APIKey: "k", SecretKey: "s"})
	ip := isipaysim.New(ipCat, isipaysim.Options{APIToken: "t"})
	spURL, stopSP, err := serveLoopback(sp)
	if err != nil {
		return err
	}
	defer stopSP()
	ipURL, stopIP, err := serveLoopback(ip)
	if err != nil {
		return err
	}
	defer stopIP()
	fmt.Fprintf(stdout, "%s %s\n", spURL, ipURL)

	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		arg, ok := strings.CutPrefix(sc.Text(), "change ")
		share, err := strconv.ParseFloat(arg, 64)
		if !ok || err != nil || share <= 0 || share > 1 {
			return fmt.Errorf("bench-sims: unknown command %q", sc.Text())
		}
		n := 0
		for _, s := range []struct {
			codes []string
			price func(string) (int64, bool)
			set   func(string, int64) error
		}{
			{spCat.ProductCodes(), sp.Price, sp.SetPrice},
			{ipCat.VariantCodes(), ip.Price, ip.SetPrice},
		} {
			step := int(1 / share)
			for i := 0; i < len(s.codes); i += step {
				if p, ok := s.price(s.codes[i]); ok {
					if err := s.set(s.codes[i], p+7); err != nil {
						return err
					}
					n++
				}
			}
		}
		fmt.Fprintf(stdout, "changed %d\n", n)
	}
	return sc.Err()
}

// simsProcess is the parent's handle on the child.
type simsProcess struct {
	cmd       *exec.Cmd
	in        io.WriteCloser
	out       *bufio.Scanner
	senpayURL string
	isipayURL string
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
	urls := strings.Fields(p.out.Text())
	if len(urls) != 2 {
		p.stop()
		return nil, fmt.Errorf("bench-sims said %q, want two URLs", p.out.Text())
	}
	p.senpayURL, p.isipayURL = urls[0], urls[1]
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
