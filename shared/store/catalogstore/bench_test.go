package catalogstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/rules"
	"github.com/conduit-cx/conduit/shared/store/catalogstore"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

// benchIntents, benchSegments and benchEvents give the generated catalog
// the variety of a large telco catalog: offers aimed at one of many
// intents, segments and life events, on one or two channels.
var (
	benchIntents  = []string{"high_bill", "move", "upgrade", "roaming", "cancel_threat", "new_line", "speed", "tv", "device", "contract_end"}
	benchSegments = []string{"broadband", "mobile", "tv", "young_family", "student", "senior", "business", "premium"}
	benchEvents   = []string{"move", "marriage", "new_baby", "new_job", "retirement"}
)

// typicalRule is the shape of most eligibility rules in the seed catalog.
const typicalRule = `"broadband" in profile.segments && contact.intent == "high_bill" && profile.tenure_months >= 12 && profile.last_sentiment != "negative"`

// benchCatalog builds n active offers whose rules are all distinct (the
// worst case for the program cache), in campaigns of 100 offers each.
func benchCatalog(n int) ([]catalog.Offer, []catalog.Campaign) {
	var offers []catalog.Offer
	var campaigns []catalog.Campaign
	for i := range n {
		if i%100 == 0 {
			campaigns = append(campaigns, catalog.Campaign{ID: fmt.Sprintf("cmp-%03d", i/100),
				CampaignSpec: catalog.CampaignSpec{Name: "Campaign", Audience: fmt.Sprintf(`profile.tenure_months >= %d`, i/100%6),
					LaunchAt: catalogT0, EndAt: catalogT0.AddDate(1, 0, 0)}, Status: catalog.CampaignLive})
		}
		var rule string
		switch i % 4 {
		case 0:
			rule = fmt.Sprintf(`%q in profile.segments && contact.intent == %q && profile.tenure_months >= %d`,
				benchSegments[i%len(benchSegments)], benchIntents[i%len(benchIntents)], i%37)
		case 1:
			rule = fmt.Sprintf(`%q in profile.life_events && profile.life_event_days[%q] <= %d`,
				benchEvents[i%len(benchEvents)], benchEvents[i%len(benchEvents)], 30+i%90)
		case 2:
			rule = fmt.Sprintf(`profile.value_tier in ["gold", "platinum"] && %q in profile.products && contact.hour < %d`,
				fmt.Sprintf("product_%d", i%50), 8+i%12)
		default:
			rule = fmt.Sprintf(`contact.intent == %q && voice.last_survey_score >= %d && profile.contact_count < %d`,
				benchIntents[i%len(benchIntents)], i%5, 5+i%20)
		}
		channels := []string{profiles.ChannelVoice}
		if i%3 == 0 {
			channels = []string{profiles.ChannelChat}
		} else if i%3 == 1 {
			channels = append(channels, profiles.ChannelChat)
		}
		offers = append(offers, catalog.Offer{ID: fmt.Sprintf("off-%05d", i), Status: catalog.OfferActive,
			OfferSpec: catalog.OfferSpec{CampaignID: campaigns[len(campaigns)-1].ID, Channels: channels,
				ValidFrom: catalogT0, Eligibility: rule}})
	}
	return offers, campaigns
}

func benchProfile() profiles.Profile {
	return profiles.Profile{
		ID: "p1", Segments: []string{"broadband", "young_family"}, Products: []string{"product_7", "mobile"},
		CustomerSince: catalogT0.AddDate(-3, 0, 0), ValueTier: "gold", LastSentiment: "neutral", ContactCount: 4,
		LifeEvents: []profiles.LifeEvent{{Kind: "move", At: catalogT0.AddDate(0, 0, -20)}},
		Voice:      profiles.VoiceSignals{LastSurveyScore: 4},
	}
}

func BenchmarkCatalogRulesVsGetItem(b *testing.B) {
	now := catalogT0.Add(10 * 24 * time.Hour)
	contact := rules.ContactFacts{Channel: profiles.ChannelVoice, Queue: "billing", Intent: "high_bill", At: now}
	prof := benchProfile()

	b.Run("getitem", func(b *testing.B) {
		env := storetest.New(b)
		s := catalogstore.NewCatalog(env.Clients.Dynamo, env.Tables)
		ctx := context.Background()
		if _, err := s.CreateOffer(ctx, testOffer("fibre-1g", "fibre", "voice")); err != nil {
			b.Fatal(err)
		}
		in := &dynamodb.GetItemInput{TableName: aws.String(env.Tables.Catalog), Key: map[string]types.AttributeValue{
			"kind": &types.AttributeValueMemberS{Value: catalog.KindOffer}, "id": &types.AttributeValueMemberS{Value: "fibre-1g"}}}
		b.ResetTimer()
		for b.Loop() {
			if _, err := env.Clients.DynamoDB.GetItem(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("rule/typical", func(b *testing.B) {
		r, err := rules.Compile(typicalRule)
		if err != nil {
			b.Fatal(err)
		}
		a := rules.NewActivation(rules.VarsFrom(prof, contact, now))
		for b.Loop() {
			if ok, err := r.Eval(a, rules.Campaign{}); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})

	// A rule that needs CEL: a comprehension, runtime cost tracking on.
	b.Run("rule/comprehension", func(b *testing.B) {
		r, err := rules.Compile(`profile.products.exists(p, p.startsWith("product_")) && profile.last_sentiment != "negative"`)
		if err != nil {
			b.Fatal(err)
		}
		a := rules.NewActivation(rules.VarsFrom(prof, contact, now))
		for b.Loop() {
			if ok, err := r.Eval(a, rules.Campaign{}); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})

	b.Run("activation", func(b *testing.B) {
		for b.Loop() {
			rules.NewActivation(rules.VarsFrom(prof, contact, now))
		}
	})

	offers, campaigns := benchCatalog(2500)
	compiled := make([]*rules.Rule, len(offers))
	for i, o := range offers {
		r, err := rules.Compiled(o.Eligibility)
		if err != nil {
			b.Fatal(err)
		}
		compiled[i] = r
	}
	campaignAt := map[string]int{}
	audiences := make([]*rules.Rule, len(campaigns))
	for i, c := range campaigns {
		campaignAt[c.ID] = i
		r, err := rules.Compiled(c.Audience)
		if err != nil {
			b.Fatal(err)
		}
		audiences[i] = r
	}
	offerCampaign := make([]int, len(offers))
	for i, o := range offers {
		offerCampaign[i] = campaignAt[o.CampaignID]
	}
	index := rules.NewIndex(compiled)

	// Every offer's rule, one after the other: no index, no pre-filter on
	// dates, channel or campaign (the rules' Go guards still apply; see
	// BenchmarkCatalog2500 in shared/rules for CEL alone).
	b.Run("catalog2500/every-rule", func(b *testing.B) {
		var eligible int
		for b.Loop() {
			a := rules.NewActivation(rules.VarsFrom(prof, contact, now))
			eligible = 0
			for i := range offers {
				if ok, _ := compiled[i].Eval(a, rules.Campaign{ID: offers[i].CampaignID}); ok {
					eligible++
				}
			}
		}
		b.ReportMetric(float64(eligible), "eligible")
	})

	// The decision path: one activation; each campaign's audience at
	// most once; the index names the offers whose facts match; dates,
	// status and channel in Go; CEL only for what is left.
	b.Run("catalog2500/per-decision", func(b *testing.B) {
		var cands []int
		audience := make([]int8, len(campaigns)) // 0 unknown, 1 in, -1 out
		var eligible, celRuns int
		for b.Loop() {
			a := rules.NewActivation(rules.VarsFrom(prof, contact, now))
			clear(audience)
			eligible, celRuns = 0, 0
			cands = index.Candidates(a, cands[:0])
			for _, i := range cands {
				o := &offers[i]
				if !o.OpenAt(now) || !o.OnChannel(contact.Channel) {
					continue
				}
				ci := offerCampaign[i]
				c := &campaigns[ci]
				if audience[ci] == 0 {
					audience[ci] = -1
					if ok, _ := a.Eval(audiences[ci], rules.Campaign{ID: c.ID, Name: c.Name}); ok && c.LiveAt(now) {
						audience[ci] = 1
					}
				}
				if audience[ci] < 0 {
					continue
				}
				celRuns++
				if ok, _ := a.Eval(compiled[i], rules.Campaign{ID: c.ID, Name: c.Name}); ok {
					eligible++
				}
			}
		}
		b.ReportMetric(float64(len(cands)), "candidates")
		b.ReportMetric(float64(celRuns), "rules-checked")
		b.ReportMetric(float64(eligible), "eligible")
	})
}
