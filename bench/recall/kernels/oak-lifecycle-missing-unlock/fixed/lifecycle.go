// Package oak runs the engine's window lifecycle.
package oak

import (
	"log"
	"sync"
)

var (
	initControl   sync.Mutex
	lifecycleInit bool
	windows       int
)

// Screen is the platform screen the lifecycle draws on.
type Screen interface {
	NewWindow() error
}

// lifecycleLoop opens the window once; a second start is refused.
func lifecycleLoop(s Screen) error {
	initControl.Lock()
	if lifecycleInit {
		log.Println("started lifecycle twice, aborting second call")
		initControl.Unlock()
		return nil
	}
	lifecycleInit = true
	initControl.Unlock()

	if err := s.NewWindow(); err != nil {
		return err
	}
	initControl.Lock()
	windows++
	initControl.Unlock()
	return nil
}
