package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kontor-app/kontor/e2e/harness"
)

// TestGracefulShutdown holds a login open by sending its body in two halves over a raw
// connection, stops the instance in between, and checks that the server stops taking
// new connections but still answers the request in flight, completely, before it stops.
func TestGracefulShutdown(t *testing.T) {
	inst := start(t, harness.Options{Engine: harness.Auto, Env: map[string]string{"KONTOR_SHUTDOWN_TIMEOUT": "30s"}})
	a := newAPI(inst, loadContract(t, inst), false)
	email := newEmail("linus")
	register(t, a, "Linus", email)

	addr := strings.TrimPrefix(inst.BaseURL, "http://")
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	half := len(body) / 2
	fmt.Fprintf(conn, "POST /api/v1/auth/login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body[:half])

	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		stopped <- inst.Stop(ctx)
	}()

	// The listener closes first: once a new connection is refused, shutdown is under
	// way while our request still lacks half its body.
	deadline := time.Now().Add(30 * time.Second)
	for {
		probe, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		probe.Close()
		if time.Now().After(deadline) {
			t.Fatal("the instance still accepts connections 30 s after Stop began")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) before the request in flight was answered", err)
	default:
	}

	if _, err := conn.Write(body[half:]); err != nil {
		t.Fatalf("send the rest of the body during shutdown: %v", err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no response to the request in flight: %v", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("response body cut short: %v", err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("X-Request-Id") == "" {
		t.Fatalf("in-flight login answered %d: %s", res.StatusCode, raw)
	}
	var pair tokenPair
	if err := json.Unmarshal(raw, &pair); err != nil {
		t.Fatalf("in-flight login body is not complete JSON: %v: %s", err, raw)
	}
	checkPair(t, pair)

	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("Stop: %v", err)
		}
	case <-time.After(45 * time.Second):
		t.Fatal("Stop did not return after the last request was answered")
	}
}
