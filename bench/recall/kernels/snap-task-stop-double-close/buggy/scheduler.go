// Package scheduler runs collection tasks on a schedule.
package scheduler

import (
	"errors"
	"sync"
	"time"
)

// ErrTaskNotFound is returned for an unknown task id.
var ErrTaskNotFound = errors.New("task not found")

type task struct {
	id       string
	mu       sync.Mutex
	state    string
	hits     int
	killChan chan struct{}
	done     chan struct{}
}

func newTask(id string) *task {
	return &task{id: id, state: "stopped", killChan: make(chan struct{}), done: make(chan struct{})}
}

// Spin starts the task's schedule loop.
func (t *task) Spin(every time.Duration) {
	t.mu.Lock()
	t.state = "spinning"
	t.mu.Unlock()
	go t.spin(every)
}

func (t *task) spin(every time.Duration) {
	defer close(t.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			t.mu.Lock()
			t.hits++
			t.mu.Unlock()
		case <-t.killChan:
			t.mu.Lock()
			t.state = "stopped"
			t.mu.Unlock()
			return
		}
	}
}

// Stop tells the schedule loop to end.
func (t *task) Stop() {
	close(t.killChan)
}

// Scheduler owns the tasks.
type Scheduler struct {
	mu    sync.Mutex
	tasks map[string]*task
}

// NewScheduler returns an empty scheduler.
func NewScheduler() *Scheduler { return &Scheduler{tasks: map[string]*task{}} }

// CreateTask adds a task and starts it.
func (s *Scheduler) CreateTask(id string) {
	t := newTask(id)
	s.mu.Lock()
	s.tasks[id] = t
	s.mu.Unlock()
	t.Spin(time.Millisecond)
}

// StopTask stops a task; a client may call it again for the same task.
func (s *Scheduler) StopTask(id string) error {
	s.mu.Lock()
	t, ok := s.tasks[id]
	s.mu.Unlock()
	if !ok {
		return ErrTaskNotFound
	}
	t.Stop()
	return nil
}
