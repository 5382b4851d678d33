package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/kontor-app/kontor/e2e/harness"
	"github.com/kontor-app/kontor/platform/database/dbtest"
)

// testImageVersion is the version the tests stamp into the image they build.
const testImageVersion = "v0.0.0-selfhost-test"

// requireDocker skips the test without a Docker engine, except in CI, where it fails.
func requireDocker(t *testing.T) {
	t.Helper()
	err := exec.Command("docker", "info").Run()
	if err == nil {
		return
	}
	if dbtest.InCI() {
		t.Fatalf("no Docker engine (required when CI=true): %v", err)
	}
	t.Skipf("container image tests skipped: no Docker engine here (%v); CI runs them", err)
}

// repoRoot is the folder holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's folder")
		}
		dir = parent
	}
}

// kontorImage builds the image the way `task image` does (deploy/build-image.sh)
// and removes it when t ends.
func kontorImage(t *testing.T) string {
	t.Helper()
	requireDocker(t)
	tag := fmt.Sprintf("kontor-test:%d-%d", os.Getpid(), time.Now().UnixNano())
	cmd := exec.Command("bash", filepath.Join(repoRoot(t), "deploy", "build-image.sh"), tag)
	cmd.Env = append(os.Environ(), "KONTOR_VERSION="+testImageVersion)
	started := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("deploy/build-image.sh: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", tag).Run() })
	t.Logf("built %s in %s", tag, time.Since(started).Round(time.Second))
	return tag
}

// imageConfig is the part of `docker image inspect` the test checks.
type imageConfig struct {
	Size   int64
	Config struct {
		User         string
		Entrypoint   []string
		Cmd          []string
		ExposedPorts map[string]any
		Volumes      map[string]any
		Labels       map[string]string
		Healthcheck  struct{ Test []string }
	}
}

// TestImageBuildsAndServes builds the container image from the repository without
// any registry (FROM scratch), checks what it declares (non-root user, /data volume,
// port 8080, HEALTHCHECK through the binary, OCI labels with the version), starts it
// on a fresh named volume and waits for its first 200 on /healthz, then checks the
// commands inside it, its JSON logs, and that data written through the API outlives
// the container on the volume.
func TestImageBuildsAndServes(t *testing.T) {
	tag := kontorImage(t)
	ctx := context.Background()

	out, err := exec.Command("docker", "image", "inspect", tag).Output()
	if err != nil {
		t.Fatalf("inspect %s: %v", tag, err)
	}
	var images []imageConfig
	if err := json.Unmarshal(out, &images); err != nil || len(images) != 1 {
		t.Fatalf("inspect: %v %s", err, out)
	}
	img := images[0]
	cfg := img.Config
	if cfg.User != "10001:10001" || strings.Join(cfg.Entrypoint, " ") != "/kontor" || strings.Join(cfg.Cmd, " ") != "serve" {
		t.Fatalf("user %q, entrypoint %q, cmd %q", cfg.User, cfg.Entrypoint, cfg.Cmd)
	}
	if _, ok := cfg.ExposedPorts["8080/tcp"]; !ok {
		t.Fatalf("exposed ports %v", cfg.ExposedPorts)
	}
	if _, ok := cfg.Volumes["/data"]; !ok {
		t.Fatalf("volumes %v", cfg.Volumes)
	}
	if strings.Join(cfg.Healthcheck.Test, " ") != "CMD /kontor healthcheck" {
		t.Fatalf("healthcheck %q", cfg.Healthcheck.Test)
	}
	if cfg.Labels["org.opencontainers.image.version"] != testImageVersion || cfg.Labels["org.opencontainers.image.revision"] == "" || cfg.Labels["org.opencontainers.image.title"] != "Kontor" {
		t.Fatalf("labels %v", cfg.Labels)
	}
	t.Logf("image %s: %.1f MB", tag, float64(img.Size)/1e6)

	volume := fmt.Sprintf("kontor-test-data-%d-%d", os.Getpid(), time.Now().UnixNano())
	t.Cleanup(func() { _ = exec.Command("docker", "volume", "rm", "-f", volume).Run() })
	secret := "image-test-secret-0123456789abcdef0123456789"
	run := func() (testcontainers.Container, string, time.Duration) {
		t.Helper()
		started := time.Now()
		ctr, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
			ContainerRequest: testcontainers.ContainerRequest{
				Image:        tag,
				ExposedPorts: []string{"8080/tcp"},
				Env: map[string]string{
					"KONTOR_SECRET_KEY": secret,
					"KONTOR_BASE_URL":   "http://localhost:8080",
				},
				Mounts: testcontainers.ContainerMounts{testcontainers.VolumeMount(volume, "/data")},
				WaitingFor: wait.ForHTTP("/healthz").WithPort("8080/tcp").
					WithPollInterval(10 * time.Millisecond).WithStartupTimeout(90 * time.Second),
			},
			Started: true,
		})
		took := time.Since(started)
		if ctr != nil {
			t.Cleanup(func() { _ = ctr.Terminate(context.Background()) })
		}
		if err != nil {
			t.Fatalf("start %s: %v", tag, err)
		}
		endpoint, err := ctr.PortEndpoint(ctx, "8080/tcp", "http")
		if err != nil {
			t.Fatal(err)
		}
		return ctr, endpoint, took
	}
	ctr, endpoint, took := run()
	t.Logf("container start to first 200 on /healthz (fresh volume, migrations applied): %s", took.Round(time.Millisecond))

	inst := &harness.Instance{BaseURL: endpoint}
	c := inst.Client()
	if body := c.Get(t, "/healthz").Expect(t, http.StatusOK).Map(t); body["status"] != "ok" {
		t.Fatalf("/healthz: %v", body)
	}
	if body := c.Get(t, "/readyz").Expect(t, http.StatusOK).Map(t); body["database"] != "sqlite" {
		t.Fatalf("/readyz: %v", body)
	}
	execOK := func(ctr testcontainers.Container, want string, cmd ...string) {
		t.Helper()
		code, r, err := ctr.Exec(ctx, cmd, tcexec.Multiplexed())
		var out []byte
		if r != nil {
			out, _ = io.ReadAll(r)
		}
		if err != nil || code != 0 || !strings.Contains(string(out), want) {
			t.Fatalf("%v in the container: exit %d, %v, output %q (want %q)", cmd, code, err, out, want)
		}
	}
	if page := c.Get(t, "/login").Expect(t, http.StatusOK).Body; !bytes.Contains(page, []byte("Kontor "+testImageVersion)) {
		t.Fatalf("the footer does not show the version %s", testImageVersion)
	}
	execOK(ctr, "answered 200", "/kontor", "healthcheck")
	execOK(ctr, "kontor "+testImageVersion, "/kontor", "version")
	// The database lives in /data and a snapshot can be taken while it serves.
	execOK(ctr, "backup written: /tmp/snapshot.db", "/kontor", "backup", "/tmp/snapshot.db")

	user := shUser(t, inst, "image@example.com")
	shAccount(t, user, map[string]any{"name": "In a container", "account_type": "cash", "currency": "EUR", "opening_balance": "12.30"})

	logs, err := ctr.Logs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(logs)
	_ = logs.Close()
	line, _, _ := bytes.Cut(bytes.TrimSpace(raw), []byte("\n"))
	var entry map[string]any
	if err := json.Unmarshal(line, &entry); err != nil || entry["msg"] == nil {
		t.Fatalf("production logs are not JSON: %q", line)
	}

	// A new container on the same volume finds the user and the account.
	if err := ctr.Terminate(ctx); err != nil {
		t.Fatal(err)
	}
	_, endpoint, took = run()
	t.Logf("container start to first 200 on /healthz (existing volume): %s", took.Round(time.Millisecond))
	again := shLogin(t, &harness.Instance{BaseURL: endpoint}, "image@example.com")
	var list struct {
		Accounts []struct {
			Balance string `json:"balance_amount"`
		} `json:"accounts"`
	}
	again.Get(t, "/api/v1/accounts").Expect(t, http.StatusOK).JSON(t, &list)
	if len(list.Accounts) != 1 || list.Accounts[0].Balance != "12.30" {
		t.Fatalf("after a restart on the same volume: %+v", list.Accounts)
	}
}
