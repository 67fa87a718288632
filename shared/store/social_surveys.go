package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
	"github.com/guregu/dynamo/v2/dynamodbiface"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/contacts"
)

// ErrSurveyExists is a second, different survey answer for a contact: the
// first answer stays.
var ErrSurveyExists = fmt.Errorf("the contact already has a different survey answer: %w", apperr.ErrConflict)

// Surveys writes post-contact survey answers onto contact items, attribute
// "survey" only, so no other writer of the item is overwritten.
type Surveys struct {
	db    dynamodbiface.DynamoDBAPI
	table string
}

// NewSurveys returns the survey store of a stage.
func NewSurveys(db *dynamo.DB, tables Tables) *Surveys {
	return &Surveys{db: db.Client(), table: tables.Contacts}
}

// SurveyOptions say how a survey answer may be written.
type SurveyOptions struct {
	// MustExist refuses a contact Conduit has never heard of
	// (apperr.ErrNotFound). A contact flow's own contact need not exist yet:
	// its contact record and events may still be on the way.
	MustExist bool
	// ProfileID links the contact to the customer, unless it is linked.
	ProfileID string
}

// RecordSurvey writes the survey answer of a contact once. The same answer
// again (score and comment) is a retry: it succeeds with first=false and
// changes nothing; a different one is ErrSurveyExists. It returns the
// contact item as it stands after the write.
func (s *Surveys) RecordSurvey(ctx context.Context, contactID string, sv contacts.Survey, o SurveyOptions) (c contacts.Contact, first bool, err error) {
	survey, err := dynamo.Marshal(sv)
	if err != nil {
		return contacts.Contact{}, false, fmt.Errorf("encode survey: %w", err)
	}
	u := newUpdate()
	u.set(contacts.AttrSurvey, survey)
	u.setIfNotExists(contacts.AttrExpiresAt, num(contacts.ExpiresAt(sv.At)))
	if o.ProfileID != "" {
		u.setIfNotExists(contacts.AttrProfileID, str(o.ProfileID))
	}
	u.cond = "attribute_not_exists(#survey)"
	if o.MustExist {
		u.cond += " AND attribute_exists(#contactId)"
		u.names["#contactId"] = contacts.AttrContactID
	}
	in := u.input(s.table, contactKey(contactID))
	in.ReturnValues = types.ReturnValueAllNew
	in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	out, err := s.db.UpdateItem(ctx, in)
	var refused *types.ConditionalCheckFailedException
	if errors.As(err, &refused) {
		if len(refused.Item) == 0 {
			return contacts.Contact{}, false, fmt.Errorf("contact %s: %w", contactID, apperr.ErrNotFound)
		}
		old, err := decodeContact(refused.Item)
		if err != nil {
			return contacts.Contact{}, false, err
		}
		if old.Survey == nil || old.Survey.Score != sv.Score || old.Survey.Comment != sv.Comment {
			return old, false, ErrSurveyExists
		}
		return old, false, nil
	}
	if err != nil {
		return contacts.Contact{}, false, fmt.Errorf("write survey of contact: %w", err)
	}
	c, err = decodeContact(out.Attributes)
	return c, true, err
}
