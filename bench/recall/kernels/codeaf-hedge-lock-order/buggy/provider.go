// Package provider races several model arms and reports what each one cost.
package provider

import "sync"

// hedgeRace is one question asked of several arms at once.
type hedgeRace struct {
	mu    sync.Mutex
	lanes map[int]string
	arms  []*arm
}

type arm struct {
	index int
	watch *streamWatch
}

// streamWatch follows one arm's stream.
type streamWatch struct {
	mu      sync.Mutex
	race    *hedgeRace
	arm     int
	lane    string
	written int
}

func newRace(n int) *hedgeRace {
	r := &hedgeRace{lanes: map[int]string{}}
	for i := 0; i < n; i++ {
		w := &streamWatch{race: r, arm: i, lane: "fast"}
		r.arms = append(r.arms, &arm{index: i, watch: w})
		r.lanes[i] = "fast"
	}
	return r
}

// askedLane is the lane the race asked arm to use.
func (r *hedgeRace) askedLane(arm int) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lanes[arm]
}

// spend estimates the tokens the other arms wasted.
func (r *hedgeRace) spend(self int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	waste := 0
	for _, other := range r.arms {
		if other.index != self {
			waste += other.watch.bytesWritten()
		}
	}
	return waste
}

func (w *streamWatch) bytesWritten() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written
}

// record notes n more bytes from the stream.
func (w *streamWatch) record(n int) {
	w.mu.Lock()
	w.written += n
	w.mu.Unlock()
}

type waitFacts struct {
	lane    string
	written int
	waste   int
}

// facts gathers the row this arm reports when its stream waits.
func (w *streamWatch) facts() waitFacts {
	w.mu.Lock()
	f := waitFacts{
		lane:    w.race.askedLane(w.arm),
		written: w.written,
	}
	w.mu.Unlock()
	f.waste = w.race.spend(w.arm)
	return f
}
