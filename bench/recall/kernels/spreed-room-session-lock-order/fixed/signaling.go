// Package signaling tracks which client sessions are in which room.
package signaling

import "sync"

// Room holds its sessions and publishes the active ones after each change.
type Room struct {
	mu       sync.RWMutex
	sessions map[string]*ClientSession
	publish  chan struct{}
	quit     chan struct{}
	done     chan struct{}
	lastSeen []string
}

// NewRoom starts the room's publishing loop.
func NewRoom() *Room {
	r := &Room{
		sessions: map[string]*ClientSession{},
		publish:  make(chan struct{}, 1),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go r.run()
	return r
}

func (r *Room) run() {
	defer close(r.done)
	for {
		select {
		case <-r.publish:
			r.publishActiveSessions()
		case <-r.quit:
			return
		}
	}
}

// Close stops the publishing loop.
func (r *Room) Close() {
	close(r.quit)
	<-r.done
}

// AddSession adds s and schedules a publication.
func (r *Room) AddSession(s *ClientSession) {
	r.mu.Lock()
	r.sessions[s.id] = s
	r.mu.Unlock()
	select {
	case r.publish <- struct{}{}:
	default:
	}
}

// RemoveSession drops s from the room.
func (r *Room) RemoveSession(s *ClientSession) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.sessions, s.id)
}

func (r *Room) publishActiveSessions() {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]string, 0, len(r.sessions))
	for _, s := range r.sessions {
		ids = append(ids, s.RoomSessionID())
	}
	r.lastSeen = ids
}

// ClientSession is one connected client. The room-session id has its own
// lock, so a room can read it without taking the session's main lock.
type ClientSession struct {
	id   string
	mu   sync.Mutex
	room *Room

	roomSessionIDLock sync.RWMutex
	roomSessionID     string
}

// NewClientSession returns a session outside any room.
func NewClientSession(id string) *ClientSession { return &ClientSession{id: id} }

// RoomSessionID is the id the client uses inside its room.
func (s *ClientSession) RoomSessionID() string {
	s.roomSessionIDLock.RLock()
	defer s.roomSessionIDLock.RUnlock()
	return s.roomSessionID
}

// JoinRoom enters r.
func (s *ClientSession) JoinRoom(r *Room, roomSessionID string) {
	s.mu.Lock()
	s.room = r
	s.setRoomSessionID(roomSessionID)
	s.mu.Unlock()
	r.AddSession(s)
}

// LeaveRoom leaves the current room, if any.
func (s *ClientSession) LeaveRoom() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.room == nil {
		return
	}
	s.room.RemoveSession(s)
	s.room = nil
	s.setRoomSessionID("")
}

func (s *ClientSession) setRoomSessionID(id string) {
	s.roomSessionIDLock.Lock()
	defer s.roomSessionIDLock.Unlock()
	s.roomSessionID = id
}
