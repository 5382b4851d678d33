package bench

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPUSample is a reading of CPU counters, so a load run can say what it cost and how
// busy the machine was: this process's CPU time (the application and the load
// generator run in it), the CPU time of the database server's processes for the
// run's database (PostgreSQL backends and the Docker proxy in front of them; none
// for SQLite, which runs in this process), and the whole machine's counters.
type CPUSample struct {
	at      time.Time
	process time.Duration
	server  time.Duration
	busy    uint64 // machine jiffies not idle or waiting (steal included)
	steal   uint64 // jiffies the hypervisor gave to other guests
	total   uint64
	matches []string
}

// clockTick is USER_HZ, the unit of /proc's CPU times, on every Linux port Go runs.
const clockTick = 10 * time.Millisecond

// SampleCPU reads the counters (on Linux; elsewhere only this process's). Processes
// whose command line (arguments joined by spaces, with a trailing space) contains
// one of serverMatches count as the database server: PostgreSQL backends show
// their database's name, Docker's proxy its host port.
func SampleCPU(serverMatches ...string) CPUSample {
	s := CPUSample{at: time.Now(), matches: serverMatches}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.process = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		fields := strings.Fields(line)
		// user nice system idle iowait irq softirq steal; guest time is already in user.
		for i, f := range fields[1:min(len(fields), 9)] {
			n, _ := strconv.ParseUint(f, 10, 64)
			s.total += n
			if i != 3 && i != 4 { // idle, iowait
				s.busy += n
			}
			if i == 7 {
				s.steal = n
			}
		}
	}
	if len(serverMatches) > 0 {
		s.server = processesCPU(serverMatches)
	}
	return s
}

// processesCPU sums the CPU time of the processes whose command line contains one
// of matches.
func processesCPU(matches []string) time.Duration {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var total time.Duration
	for _, dir := range dirs {
		raw, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil {
			continue
		}
		cmd := strings.ReplaceAll(string(raw), "\x00", " ")
		found := false
		for _, m := range matches {
			found = found || strings.Contains(cmd, m)
		}
		if !found {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue
		}
		// The command name, in parentheses, may hold spaces; fields count from after it.
		_, rest, ok := strings.Cut(string(stat), ") ")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) < 13 {
			continue
		}
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		total += time.Duration(utime+stime) * clockTick
	}
	return total
}

// CPUUse is what happened between two samples.
type CPUUse struct {
	// Process is the CPU time this process used.
	Process time.Duration
	// Server is the CPU time the database server's processes used.
	Server time.Duration
	// MachineBusy is the share of all the machine's CPUs that were busy, 0 to 1.
	MachineBusy float64
	// Others is the share of all the machine's CPUs used by neither this process nor
	// the database server: other programs, the kernel's own work, Docker, and time
	// the hypervisor gave to other virtual machines (steal).
	Others float64
	// Steal is the share of all the machine's CPUs the hypervisor gave to others.
	Steal float64
}

// Since returns the use from s to now.
func (s CPUSample) Since() CPUUse {
	now := SampleCPU(s.matches...)
	u := CPUUse{Process: now.process - s.process, Server: now.server - s.server}
	if total := now.total - s.total; total > 0 {
		u.MachineBusy = float64(now.busy-s.busy) / float64(total)
		u.Steal = float64(now.steal-s.steal) / float64(total)
	}
	if wall := now.at.Sub(s.at); wall > 0 {
		capacity := float64(wall) * float64(runtime.NumCPU())
		u.Others = max(0, u.MachineBusy-float64(u.Process+u.Server)/capacity)
	}
	return u
}
