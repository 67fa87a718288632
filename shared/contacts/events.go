package contacts

import (
	"maps"
	"time"

	"github.com/conduit-cx/conduit/shared/connect"
)

// Events is the contact's state timeline from EventBridge contact events
// (attribute "events", written by contactevents only).
type Events struct {
	// States maps each state the contact went through (INITIATED, QUEUED,
	// CONNECTED_TO_AGENT, DISCONNECTED, ...) to when it happened.
	States map[string]time.Time `dynamo:"states" json:"states"`
	// Last is the latest state; events older than it change no state.
	Last string `dynamo:"last" json:"last"`
	// Order places the latest applied event: its time in milliseconds and
	// the rank of its state, so two events in the same millisecond still
	// have an order.
	Order int64 `dynamo:"order" json:"-"`
	// QueueID is the queue the contact was last placed in.
	QueueID string `dynamo:"queueId,omitempty" json:"queueId,omitempty"`
	// Waiting is set while the contact waits in a queue: which queue and
	// since when. The queue's waiting list holds the same entry.
	Waiting          *QueueEntry `dynamo:"waiting,omitempty" json:"waiting,omitempty"`
	AgentARN         string      `dynamo:"agentArn,omitempty" json:"agentArn,omitempty"`
	DisconnectReason string      `dynamo:"disconnectReason,omitempty" json:"disconnectReason,omitempty"`
}

// QueueEntry is a contact waiting in a queue.
type QueueEntry struct {
	QueueID   string    `dynamo:"queueId" json:"queueId"`
	ContactID string    `dynamo:"contactId" json:"contactId"`
	Since     time.Time `dynamo:"since" json:"since"`
}

// QueueChange is what an applied event does to the queues' waiting lists:
// take the contact off one, put it on one, or both.
type QueueChange struct {
	Leave *QueueEntry
	Join  *QueueEntry
}

// stateRank orders the states of a contact; events of other types
// (CONTACT_DATA_UPDATED and types AWS adds) are not state changes.
var stateRank = map[string]int64{
	connect.EventInitiated:         1,
	connect.EventConnectedToSystem: 2,
	connect.EventQueued:            3,
	connect.EventConnectedToAgent:  4,
	connect.EventPaused:            5,
	connect.EventResumed:           5,
	connect.EventDisconnected:      6,
	connect.EventCompleted:         7,
}

// IsStateEvent reports whether an event type changes the contact's state.
func IsStateEvent(eventType string) bool { _, ok := stateRank[eventType]; return ok }

// EventTime is when the event's state began: the detail's own timestamp for
// the state when it has one (contact events carry milliseconds), the
// event's time otherwise.
func EventTime(ev *connect.ContactEvent) time.Time {
	d := ev.Detail
	var t connect.Timestamp
	switch d.EventType {
	case connect.EventInitiated:
		t = d.InitiationTimestamp
	case connect.EventConnectedToSystem:
		t = d.ConnectedToSystemTimestamp
	case connect.EventQueued:
		if d.QueueInfo != nil {
			t = d.QueueInfo.EnqueueTimestamp
		}
	case connect.EventConnectedToAgent:
		if d.AgentInfo != nil {
			t = d.AgentInfo.ConnectedToAgentTimestamp
		}
	case connect.EventDisconnected:
		t = d.DisconnectTimestamp
	}
	if t.IsZero() {
		return ev.Time.Time
	}
	return t.Time
}

// EventOrder is the ordering key of an event (see Events.Order).
func EventOrder(ev *connect.ContactEvent) int64 {
	return EventTime(ev).UnixMilli()*16 + stateRank[ev.Detail.EventType]
}

// Apply adds a contact event to the timeline. The state's time is always
// kept (a late QUEUED still says when the contact was queued), but only an
// event newer than the latest applied one moves the contact's state and
// its place in the queues. It reports whether the timeline changed and what
// changes in the queues' waiting lists.
func (e *Events) Apply(ev *connect.ContactEvent) (QueueChange, bool) {
	d := ev.Detail
	rank, ok := stateRank[d.EventType]
	if !ok {
		return QueueChange{}, false
	}
	at := EventTime(ev).UTC()
	changed := false
	if e.States == nil {
		e.States = map[string]time.Time{}
	}
	if prev, seen := e.States[d.EventType]; !seen || prev.After(at) && d.EventType != connect.EventQueued {
		// First time in the state wins, except QUEUED, which keeps the
		// latest enqueue below.
		e.States[d.EventType] = at
		changed = true
	}
	order := at.UnixMilli()*16 + rank
	if order <= e.Order {
		return QueueChange{}, changed
	}
	e.Order, e.Last = order, d.EventType
	var qc QueueChange
	switch d.EventType {
	case connect.EventQueued:
		e.States[d.EventType] = at
		if d.QueueInfo == nil || d.QueueInfo.QueueARN == "" {
			break
		}
		join := &QueueEntry{QueueID: QueueID(d.QueueInfo.QueueARN), ContactID: d.ContactID, Since: at}
		e.QueueID = join.QueueID
		if e.Waiting != nil && *e.Waiting == *join {
			break
		}
		qc.Leave, qc.Join = e.Waiting, join
		e.Waiting = join
	case connect.EventConnectedToAgent, connect.EventDisconnected, connect.EventCompleted:
		qc.Leave, e.Waiting = e.Waiting, nil
	}
	if d.AgentInfo != nil && d.AgentInfo.AgentARN != "" {
		e.AgentARN = d.AgentInfo.AgentARN
	}
	if d.DisconnectReason != "" {
		e.DisconnectReason = d.DisconnectReason
	}
	return qc, true
}

// Clone is a deep copy, so a caller can compare before and after.
func (e *Events) Clone() *Events {
	if e == nil {
		return &Events{}
	}
	c := *e
	c.States = maps.Clone(e.States)
	if e.Waiting != nil {
		w := *e.Waiting
		c.Waiting = &w
	}
	return &c
}

// TimelineChange is one applied contact event, as the store writes it: the
// new timeline, conditional on the one it was made from, and the change of
// the queues' waiting lists, both or neither.
type TimelineChange struct {
	ContactID string
	Events    Events
	// PrevOrder is the Order of the timeline Events was made from; HadEvents
	// is false when the contact had none.
	PrevOrder int64
	HadEvents bool
	Queues    QueueChange
	// InitiatedAt and Channel fill the contact's index attributes when no
	// writer has yet.
	InitiatedAt time.Time
	Channel     string
}
