package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// healthcheck asks the server listening on KONTOR_ADDR (or --addr) for /healthz and
// exits 0 on a 200, 1 otherwise. The container image has no curl, so its HEALTHCHECK
// runs this.
func healthcheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := os.Getenv("KONTOR_ADDR")
	if def == "" {
		def = ":8080"
	}
	addr := fs.String("addr", def, "the server's listen address (KONTOR_ADDR)")
	path := fs.String("path", "/healthz", "the path to ask")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	url, err := healthURL(*addr, *path)
	if err != nil {
		fmt.Fprintf(stderr, "kontor healthcheck: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintf(stderr, "kontor healthcheck: %v\n", err)
		return 2
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "kontor healthcheck: %s: %v\n", url, err)
		return 1
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	if res.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "kontor healthcheck: %s answered %d\n", url, res.StatusCode)
		return 1
	}
	fmt.Fprintf(stdout, "ok: %s answered 200\n", url)
	return 0
}

// healthURL turns a listen address into the URL to ask: an empty or wildcard host
// (":8080", "0.0.0.0:8080", "[::]:8080") is asked on the loopback address.
func healthURL(addr, path string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" || port == "0" {
		return "", fmt.Errorf("KONTOR_ADDR %q names no port to ask", addr)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}
