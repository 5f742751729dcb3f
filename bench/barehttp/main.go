// Command barehttp is the read-path benchmark's yardstick: a bare
// net/http server that answers every GET with the bytes of one file, with
// the headers syncd sends for a catalog body, so bench/readpath.sh can load
// it and syncd alike and compare what syncd's own work costs.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	body := flag.String("body", "", "file whose bytes every request is answered with")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file until SIGINT or SIGTERM (to compare with syncd's)")
	timeouts := flag.Bool("timeouts", false, "set syncd serve's server timeouts (read, write, idle), whose per-request deadlines cost a little")
	flag.Parse()
	b, err := os.ReadFile(*body)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	// The script reads the address from the first line.
	fmt.Printf("listening on http://%s\n", ln.Addr())
	length := strconv.Itoa(len(b))
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("ETag", `"bare"`)
			h.Set("Cache-Control", "private, no-cache")
			h.Set("Vary", "Accept-Encoding")
			h.Set("Content-Type", "application/json; charset=utf-8")
			h.Set("Content-Length", length)
			w.WriteHeader(http.StatusOK)
			w.Write(b)
		}),
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
		go func() {
			<-stop
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(0)
		}()
	}
	if *timeouts {
		srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout = 30*time.Second, 60*time.Second, 120*time.Second
	}
	log.Fatal(srv.Serve(ln))
}
