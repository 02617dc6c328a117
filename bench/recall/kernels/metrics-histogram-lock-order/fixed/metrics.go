// Package metrics keeps process-wide counters, gauges and histograms.
package metrics

import "sync"

var (
	cm       sync.Mutex
	counters = map[string]uint64{}

	gm     sync.Mutex
	gauges = map[string]func() int64{}

	hm         sync.Mutex
	histograms = map[string]*Histogram{}
)

// Histogram records values and exposes quantiles as gauges.
type Histogram struct {
	mu     sync.Mutex
	values []int64
}

// Record adds one value.
func (h *Histogram) Record(v int64) {
	h.mu.Lock()
	h.values = append(h.values, v)
	h.mu.Unlock()
}

func (h *Histogram) count() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return int64(len(h.values))
}

func (h *Histogram) max() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var m int64
	for _, v := range h.values {
		m = max(m, v)
	}
	return m
}

// Counter adds delta to the named counter.
func Counter(name string, delta uint64) {
	cm.Lock()
	counters[name] += delta
	cm.Unlock()
}

// NewHistogram registers a histogram and a gauge for its maximum.
func NewHistogram(name string) *Histogram {
	hm.Lock()
	defer hm.Unlock()
	h := &Histogram{}
	histograms[name] = h
	gm.Lock()
	gauges[name+".max"] = h.max
	gm.Unlock()
	return h
}

// Snapshot returns every counter and every gauge's current value. Locks are
// taken in the package's one order: hm, then gm, then cm.
func Snapshot() (map[string]uint64, map[string]int64) {
	hm.Lock()
	defer hm.Unlock()
	gm.Lock()
	defer gm.Unlock()
	cm.Lock()
	defer cm.Unlock()

	c := make(map[string]uint64, len(counters))
	for k, v := range counters {
		c[k] = v
	}
	g := make(map[string]int64, len(gauges)+len(histograms))
	for k, f := range gauges {
		g[k] = f()
	}
	for k, h := range histograms {
		g[k+".count"] = h.count()
	}
	return c, g
}
