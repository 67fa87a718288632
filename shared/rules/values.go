package rules

import (
	"fmt"
	"reflect"
	"strings"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// The four variables are Go structs, declared to CEL as native types so
// the checker knows every field and its type. At run time, though, CEL's
// native types read each field through reflection and wrap lists anew on
// every access; on the hot path, with thousands of rules per decision,
// that dominated. So each variable is converted once per decision into an
// object whose fields are ready CEL values, and the type provider reads
// fields from it by index.

// object is one variable's value for a decision: its fields as CEL values,
// in the order of the Go struct's fields.
type object struct {
	typ    *types.Type
	fields []ref.Val
}

func (o *object) ConvertToNative(t reflect.Type) (any, error) {
	return nil, fmt.Errorf("%s cannot be converted to %v", o.typ.TypeName(), t)
}

func (o *object) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return o.typ
	}
	return types.NewErr("%s cannot be converted to %s", o.typ.TypeName(), t.TypeName())
}

func (o *object) Equal(other ref.Val) ref.Val { return types.Bool(o == other) }
func (o *object) Type() ref.Type              { return o.typ }
func (o *object) Value() any                  { return o }

// objectType describes one variable type: its CEL name and its fields.
type objectType struct {
	name   string
	typ    *types.Type
	goType reflect.Type
	// index maps a CEL field name to its position in object.fields.
	index map[string]int
	// goIndex is, per position, the Go struct field index.
	goIndex []int
}

var objectTypes = map[string]*objectType{}

func registerObjectType(t reflect.Type) *objectType {
	name := "rules." + t.Name()
	ot := &objectType{name: name, typ: types.NewObjectType(name), goType: t, index: map[string]int{}}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("cel"), ",")
		if !f.IsExported() || tag == "" || tag == "-" {
			continue
		}
		ot.index[tag] = len(ot.goIndex)
		ot.goIndex = append(ot.goIndex, i)
	}
	objectTypes[name] = ot
	return ot
}

var (
	profileType  = registerObjectType(reflect.TypeFor[Profile]())
	contactType  = registerObjectType(reflect.TypeFor[Contact]())
	campaignType = registerObjectType(reflect.TypeFor[Campaign]())
	voiceType    = registerObjectType(reflect.TypeFor[Voice]())
)

// newObject converts one variable (a pointer to its Go struct) once.
func (ot *objectType) newObject(a types.Adapter, ptr any) *object {
	v := reflect.ValueOf(ptr).Elem()
	o := &object{typ: ot.typ, fields: make([]ref.Val, len(ot.goIndex))}
	for i, gi := range ot.goIndex {
		o.fields[i] = celValue(a, v.Field(gi))
	}
	return o
}

// celValue converts a field of the variable structs to a CEL value.
func celValue(a types.Adapter, v reflect.Value) ref.Val {
	switch v.Kind() {
	case reflect.String:
		return types.String(v.String())
	case reflect.Int, reflect.Int64, reflect.Int32:
		return types.Int(v.Int())
	case reflect.Bool:
		return types.Bool(v.Bool())
	case reflect.Slice:
		if s, ok := v.Interface().([]string); ok {
			if s == nil {
				s = []string{}
			}
			return types.NewStringList(a, s)
		}
	case reflect.Map:
		if m, ok := v.Interface().(map[string]int); ok {
			rm := make(map[ref.Val]ref.Val, len(m))
			for k, n := range m {
				rm[types.String(k)] = types.Int(n)
			}
			return types.NewRefValMap(a, rm)
		}
	}
	return a.NativeToValue(v.Interface())
}

// fastProvider is the native-types provider with field getters that read
// objects by index; everything else (type checking, literals) is the
// native provider's.
type fastProvider struct {
	types.Provider
}

func (p fastProvider) FindStructFieldType(structType, fieldName string) (*types.FieldType, bool) {
	ft, ok := p.Provider.FindStructFieldType(structType, fieldName)
	ot := objectTypes[structType]
	if !ok || ot == nil {
		return ft, ok
	}
	i, known := ot.index[fieldName]
	if !known {
		return ft, ok
	}
	nativeGet, nativeSet := ft.GetFrom, ft.IsSet
	return &types.FieldType{
		Type: ft.Type,
		IsSet: func(target any) bool {
			if _, isObj := target.(*object); isObj {
				return true
			}
			return nativeSet(target)
		},
		GetFrom: func(target any) (any, error) {
			if o, isObj := target.(*object); isObj {
				return o.fields[i], nil
			}
			// A value built in the rule itself (a struct literal).
			return nativeGet(target)
		},
	}, true
}
