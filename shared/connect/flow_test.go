package connect

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/conduit-cx/conduit/shared/apperr"
)

func TestPublishedVoiceFlowEvent(t *testing.T) {
	e, err := DecodeFlowEvent(sample(t, "connect/flow-event-voice.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := e.Contact()
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", e.Name, FlowEventName},
		{"contact id", e.ContactID(), "4a573372-1f28-4e26-b97b-XXXXXXXXXXX"},
		{"channel", e.Channel(), Voice},
		{"language", c.LanguageCode, "en-US"},
		{"customer id", c.CustomerID, "someCustomerId"},
		{"description", c.Description, "someDescription"},
		{"instance", c.InstanceARN, "arn:aws:connect:aws-region:1234567890:instance/c8c0e68d-2200-4265-82c0-XXXXXXXXXX"},
		{"queue name", c.Queue.Name, "PasswordReset"},
		{"queue presence", c.QueuePresence(), Present},
		{"outbound caller id", c.Queue.OutboundCallerID.Address, "+12345678903"},
		{"stream", c.MediaStreams.Customer.Audio.StreamARN, "arn:aws:kinesisvideo::eu-west-2:111111111111:stream/instance-alias-contact-ddddddd-bbbb-dddd-eeee-ffffffffffff/9999999999999"},
		{"stream start", c.MediaStreams.Customer.Audio.StartTimestamp, "1571360125131"},
		{"reference", c.References["key1"], Reference{Type: "url", Value: "urlvalue"}},
		{"system endpoint", c.SystemEndpoint.Address, "+1234567890"},
		{"params", e.Params(), map[string]string{"exampleParameterKey1": "exampleParameterValue1", "exampleParameterKey2": "exampleParameterValue2"}},
	}
	for _, ck := range checks {
		if !reflect.DeepEqual(ck.got, ck.want) {
			t.Errorf("%s = %#v, want %#v", ck.name, ck.got, ck.want)
		}
	}
	if phone, ok := e.CustomerPhone(); !ok || phone != "+1234567890" {
		t.Errorf("CustomerPhone = %q, %v", phone, ok)
	}
	if v, ok := e.Attribute("exampleAttributeKey1"); !ok || v != "exampleAttributeValue1" {
		t.Errorf("Attribute = %q, %v", v, ok)
	}
}

func TestChatFlowEventHasNullEndpointAndQueue(t *testing.T) {
	e, err := DecodeFlowEvent(sample(t, "connect/flow-event-chat.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := e.Contact()
	if e.Channel() != Chat {
		t.Errorf("channel = %q", e.Channel())
	}
	if c.CustomerEndpoint != nil || c.CustomerEndpointPresence() != Null {
		t.Errorf("customer endpoint = %+v (%v), want null", c.CustomerEndpoint, c.CustomerEndpointPresence())
	}
	if c.Queue != nil || c.QueuePresence() != Null {
		t.Errorf("queue = %+v (%v), want null", c.Queue, c.QueuePresence())
	}
	if c.SystemEndpoint != nil {
		t.Errorf("system endpoint = %+v, want nil", c.SystemEndpoint)
	}
	if _, ok := e.CustomerPhone(); ok {
		t.Error("a chat contact has no phone number")
	}
	if got := c.SegmentAttributes["connect:Subtype"].ValueString; got != "connect:Chat" {
		t.Errorf("subtype = %q", got)
	}
	if v, ok := e.Lookup("customerId"); !ok || v != "C-100042" {
		t.Errorf("Lookup(customerId) = %q, %v", v, ok)
	}
	if p := e.Params(); p == nil || len(p) != 0 {
		t.Errorf("Params = %#v, want empty", p)
	}
}

func TestQueueAndEndpointPresence(t *testing.T) {
	cases := []struct {
		name          string
		contact       string
		queue, client Presence
	}{
		{"both absent", `{"ContactId":"c"}`, Absent, Absent},
		{"both null", `{"ContactId":"c","Queue":null,"CustomerEndpoint":null}`, Null, Null},
		{"both present", `{"ContactId":"c","Queue":{"Name":"q"},"CustomerEndpoint":{"Address":"+15555550100","Type":"TELEPHONE_NUMBER"}}`, Present, Present},
		{"empty objects are present, not null", `{"ContactId":"c","Queue":{},"CustomerEndpoint":{}}`, Present, Present},
		{"older string form of queue", `{"ContactId":"c","Queue":"QueueName"}`, Present, Absent},
		{"lower-case names", `{"contactid":"c","queue":null,"customerendpoint":{"address":"x"}}`, Null, Present},
		// Found by fuzzing: a later key replaces an earlier null.
		{"null then object in another casing", `{"ContactId":"c","QUEUE":null,"queue":{"arn":"x"},"CustomerEndpoint":null,"customerEndpoint":{}}`, Present, Present},
		{"object then null", `{"ContactId":"c","Queue":{"ARN":"x"},"queue":null}`, Null, Absent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := `{"Details":{"ContactData":` + c.contact + `},"Name":"ContactFlowEvent"}`
			e := roundTrip(t, []byte(body), DecodeFlowEvent)
			cd := e.Contact()
			if got := cd.QueuePresence(); got != c.queue {
				t.Errorf("queue %v, want %v", got, c.queue)
			}
			if got := cd.CustomerEndpointPresence(); got != c.client {
				t.Errorf("customer endpoint %v, want %v", got, c.client)
			}
			if c.queue == Null && cd.Queue != nil {
				t.Error("a null queue must stay nil, not become an empty struct")
			}
		})
	}
}

func TestQueueStringFormKeepsTheName(t *testing.T) {
	e, err := DecodeFlowEvent([]byte(`{"Details":{"ContactData":{"ContactId":"c","Queue":"QueueName"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Contact().Queue; got == nil || got.Name != "QueueName" {
		t.Errorf("queue = %+v", got)
	}
}

func TestParametersKeepNestedJSON(t *testing.T) {
	e, err := DecodeFlowEvent(sample(t, "connect/flow-event-nested-parameters.json"))
	if err != nil {
		t.Fatal(err)
	}
	params := e.Details.Parameters
	cases := []struct {
		key      string
		text     string
		isString bool
		json     string
	}{
		{"Name", "Jane", true, `"Jane"`},
		{"Age", "10", false, `10`},
		{"isEnrolledInSchool", "true", false, `true`},
		{"hobbies", `{"books":["book1","book2"],"art":["art1","art2"]}`, false, `{"books":["book1","book2"],"art":["art1","art2"]}`},
	}
	for _, c := range cases {
		v, ok := params[c.key]
		if !ok {
			t.Errorf("%s missing", c.key)
			continue
		}
		if v.String() != c.text || v.IsString() != c.isString || string(v.JSON()) != c.json {
			t.Errorf("%s = (%q, string %v, json %s), want (%q, %v, %s)", c.key, v.String(), v.IsString(), v.JSON(), c.text, c.isString, c.json)
		}
	}
	if got := e.Params()["Age"]; got != "10" {
		t.Errorf("Params()[Age] = %q", got)
	}
}

func TestParameterValues(t *testing.T) {
	cases := []struct {
		name, raw, text string
		isString        bool
	}{
		{"plain string", `"high_bill"`, "high_bill", true},
		{"escaped string", `"a\"b\u00e9\n"`, "a\"bé\n", true},
		{"null", `null`, "", false},
		{"number", `  12.50 `, "12.50", false},
		{"object made compact", "{ \"a\" : [1, 2] }", `{"a":[1,2]}`, false},
		{"html kept as encoding/json writes it", `{"t":"<b>"}`, `{"t":"\u003cb\u003e"}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := JSONValue([]byte(c.raw))
			if err != nil {
				t.Fatal(err)
			}
			if v.String() != c.text || v.IsString() != c.isString {
				t.Errorf("got (%q, %v), want (%q, %v)", v.String(), v.IsString(), c.text, c.isString)
			}
			b, _ := json.Marshal(v)
			var back Value
			if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, v) {
				t.Errorf("round trip: %#v -> %s -> %#v (%v)", v, b, back, err)
			}
		})
	}
	if _, err := JSONValue([]byte(`{`)); err == nil {
		t.Error("JSONValue accepted broken JSON")
	}
	if v := StringValue("x"); !v.IsString() || v.String() != "x" || string(v.JSON()) != `"x"` {
		t.Errorf("StringValue = %#v", v)
	}
}

func TestFlowEventCasingAndChannel(t *testing.T) {
	body := `{"details":{"contactdata":{"contactId":"c-1","channel":" voice ","customerEndpoint":{"address":"+15555550100","type":"telephone_number"}},"parameters":{"INTENT":"move"}},"name":"ContactFlowEvent"}`
	e, err := DecodeFlowEvent([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if e.ContactID() != "c-1" || e.Channel() != Voice {
		t.Errorf("contact %q channel %q", e.ContactID(), e.Channel())
	}
	if phone, ok := e.CustomerPhone(); !ok || phone != "+15555550100" {
		t.Errorf("CustomerPhone = %q, %v (endpoint type matched case-insensitively)", phone, ok)
	}
	// Parameter and attribute names are data, not field names: they keep their case.
	if _, ok := e.Param("intent"); ok {
		t.Error("parameter names must be matched exactly")
	}
	if v, ok := e.Param("INTENT"); !ok || v != "move" {
		t.Errorf("Param(INTENT) = %q, %v", v, ok)
	}
}

func TestDecodeFlowEventProblems(t *testing.T) {
	cases := []struct {
		name string
		body string
		want []apperr.Problem // field and a fragment of the problem
	}{
		{"empty body", ``, []apperr.Problem{{Field: "body", Problem: "not valid JSON"}}},
		{"truncated", `{"Details":{"ContactData":{"ContactId":"c"`, []apperr.Problem{{Field: "body", Problem: "not valid JSON"}}},
		{"not an object", `[1]`, []apperr.Problem{{Field: "body", Problem: "got array, want an object"}}},
		{"null", `null`, []apperr.Problem{{Field: "Details", Problem: "missing"}}},
		{"no details", `{"Name":"ContactFlowEvent"}`, []apperr.Problem{{Field: "Details", Problem: "missing"}}},
		{"null details", `{"Details":null}`, []apperr.Problem{{Field: "Details", Problem: "missing"}}},
		{"no contact data", `{"Details":{"Parameters":{}}}`, []apperr.Problem{{Field: "Details.ContactData", Problem: "missing"}}},
		{"null contact data", `{"Details":{"ContactData":null}}`, []apperr.Problem{{Field: "Details.ContactData", Problem: "missing"}}},
		{"no contact id", `{"Details":{"ContactData":{"Channel":"VOICE"}}}`, []apperr.Problem{{Field: "Details.ContactData.ContactId", Problem: "missing"}}},
		{"blank contact id", `{"Details":{"ContactData":{"ContactId":"  "}}}`, []apperr.Problem{{Field: "Details.ContactData.ContactId", Problem: "missing"}}},
		{"wrong name and no details", `{"Name":"Other"}`, []apperr.Problem{
			{Field: "Name", Problem: `is "Other", want ContactFlowEvent`},
			{Field: "Details", Problem: "missing"},
		}},
		{"attribute not a string", `{"Details":{"ContactData":{"ContactId":"c","Attributes":{"n":5}}}}`,
			[]apperr.Problem{{Field: "Details.ContactData.Attributes", Problem: "got number, want a string"}}},
		{"channel not a string", `{"Details":{"ContactData":{"ContactId":"c","Channel":7}}}`,
			[]apperr.Problem{{Field: "Details.ContactData.Channel", Problem: "got number, want a channel name"}}},
		{"queue arn not a string", `{"Details":{"ContactData":{"ContactId":"c","Queue":{"ARN":1}}}}`,
			[]apperr.Problem{{Field: "Details.ContactData.Queue.ARN", Problem: "got number, want a string"}}},
		{"endpoint not an object", `{"Details":{"ContactData":{"ContactId":"c","CustomerEndpoint":[]}}}`,
			[]apperr.Problem{{Field: "Details.ContactData.CustomerEndpoint", Problem: "got array, want an object"}}},
		{"parameters not an object", `{"Details":{"ContactData":{"ContactId":"c"},"Parameters":"x"}}`,
			[]apperr.Problem{{Field: "Details.Parameters", Problem: "got string, want an object"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeFlowEvent([]byte(c.body))
			assertProblems(t, err, c.want)
		})
	}
}

func TestDecodeFlowEventKeepsWhatItCouldRead(t *testing.T) {
	// A bad attribute must not hide the contact id from the logs.
	e, err := DecodeFlowEvent([]byte(`{"Details":{"ContactData":{"ContactId":"c-9","Attributes":{"n":5},"Channel":"CHAT"}}}`))
	if err == nil {
		t.Fatal("want an error")
	}
	if e.ContactID() != "c-9" || e.Channel() != Chat {
		t.Errorf("partial event = %q %q", e.ContactID(), e.Channel())
	}
}

func TestAccessorsOnEmptyEvent(t *testing.T) {
	var e FlowEvent
	if e.ContactID() != "" || e.Channel() != "" || e.Contact() != nil {
		t.Error("empty event has contact data")
	}
	if _, ok := e.CustomerPhone(); ok {
		t.Error("phone on empty event")
	}
	if _, ok := e.Lookup("x"); ok {
		t.Error("lookup on empty event")
	}
	if p := e.Params(); p == nil {
		t.Error("Params must never be nil")
	}
}

func TestCustomerPhoneNeedsATelephoneEndpoint(t *testing.T) {
	cases := []struct {
		name     string
		endpoint string
		want     bool
	}{
		{"phone", `{"Address":"+15555550100","Type":"TELEPHONE_NUMBER"}`, true},
		{"email", `{"Address":"jane@example.com","Type":"EMAIL_ADDRESS"}`, false},
		{"voip", `{"Address":"sip:1","Type":"VOIP"}`, false},
		{"empty address", `{"Address":"","Type":"TELEPHONE_NUMBER"}`, false},
		{"null", `null`, false},
	}
	for _, c := range cases {
		e, err := DecodeFlowEvent([]byte(`{"Details":{"ContactData":{"ContactId":"c","CustomerEndpoint":` + c.endpoint + `}}}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := e.CustomerPhone(); ok != c.want {
			t.Errorf("%s: CustomerPhone ok = %v, want %v", c.name, ok, c.want)
		}
	}
}

// assertProblems checks err is an apperr.Problems with exactly the wanted
// fields, in order, each problem containing the wanted words.
func assertProblems(t *testing.T, err error, want []apperr.Problem) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", want)
	}
	got, ok := apperr.AsProblems(err)
	if !ok {
		t.Fatalf("error %T %v is not apperr.Problems", err, err)
	}
	if len(got) != len(want) {
		t.Fatalf("problems %v, want %v", got, want)
	}
	for i := range want {
		if got[i].Field != want[i].Field || !strings.Contains(got[i].Problem, want[i].Problem) {
			t.Errorf("problem %d = %+v, want field %q containing %q", i, got[i], want[i].Field, want[i].Problem)
		}
	}
}

// A handler given the event by the Lambda runtime (plain json.Unmarshal into
// FlowEvent, or into ContactData) sees exactly what DecodeFlowEvent returns.
func TestPlainUnmarshalMatchesDecode(t *testing.T) {
	for _, file := range []string{"connect/flow-event-voice.json", "connect/flow-event-chat.json", "offer/chat.json"} {
		b := sample(t, file)
		want, err := DecodeFlowEvent(b)
		if err != nil {
			t.Fatal(err)
		}
		var got FlowEvent
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: json.Unmarshal gives %#v, DecodeFlowEvent %#v", file, got, want)
		}
		var cd ContactData
		raw, _ := json.Marshal(want.Contact())
		if err := json.Unmarshal(raw, &cd); err != nil || !reflect.DeepEqual(&cd, want.Contact()) {
			t.Errorf("%s: ContactData round trip %#v (%v)", file, cd, err)
		}
	}
	var e FlowEvent
	err := json.Unmarshal([]byte(`{"Details":{"ContactData":{"ContactId":"c","Tags":{"k":1}}}}`), &e)
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Field != "Details.ContactData.Tags" {
		t.Errorf("error %v, want a type error at Details.ContactData.Tags", err)
	}
}

func TestLookupPrefersTheBlocksParameter(t *testing.T) {
	e, err := DecodeFlowEvent([]byte(`{"Details":{"ContactData":{"ContactId":"c","Attributes":{"intent":"billing","customerId":"C-1"}},"Parameters":{"intent":"cancel"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ key, want string }{
		{"intent", "cancel"},  // this invocation's parameter wins
		{"customerId", "C-1"}, // else the contact attribute
	}
	for _, c := range cases {
		if got, ok := e.Lookup(c.key); !ok || got != c.want {
			t.Errorf("Lookup(%s) = %q, %v; want %q", c.key, got, ok, c.want)
		}
	}
	if _, ok := e.Lookup("absent"); ok {
		t.Error("Lookup found an absent key")
	}
}

func TestPresenceNames(t *testing.T) {
	for p, want := range map[Presence]string{Absent: "absent", Null: "null", Present: "present"} {
		if p.String() != want {
			t.Errorf("%d = %q, want %q", p, p.String(), want)
		}
	}
}

func TestLongValuesAreClippedInProblems(t *testing.T) {
	_, err := DecodeFlowEvent([]byte(`{"Name":"` + strings.Repeat("é", 100) + `","Details":{"ContactData":{"ContactId":"c"}}}`))
	p, _ := apperr.AsProblems(err)
	if len(p) != 1 || len(p[0].Problem) > 120 || !strings.Contains(p[0].Problem, "…") {
		t.Errorf("problems = %v", p)
	}
}
