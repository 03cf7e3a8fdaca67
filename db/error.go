package db

import (
	"errors"
	"fmt"
)

// Error codes a client can act on. They are the whole documented set: the GraphQL layer
// sends them as extensions.code, and anything that is not an *Error is reported as INTERNAL.
const (
	EUNAUTHENTICATED = "UNAUTHENTICATED"
	EFORBIDDEN       = "FORBIDDEN"
	ENOTFOUND        = "NOT_FOUND"
	EINVALID         = "INVALID_INPUT"
	ECONFLICT        = "CONFLICT"
	EINVALIDSTATE    = "INVALID_STATE"
	ERATELIMITED     = "RATE_LIMITED"
	EINTERNAL        = "INTERNAL"
)

// Error is an application error: a machine code, a message in Chinese that a frontend may
// show as it is, and for INVALID_INPUT the input field at fault.
type Error struct {
	Code    string
	Message string
	Field   string
	// RetryAfter, in seconds, for RATE_LIMITED (and a failed sign-in with no attempts left).
	RetryAfter int
	// AttemptsLeft, for a failed sign-in: how many more may fail before sign-in is refused.
	AttemptsLeft *int
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s (%s): %s", e.Code, e.Field, e.Message)
	}
	return e.Code + ": " + e.Message
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an INVALID_INPUT error naming the field at fault.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of an application error, EINTERNAL for any other error, and ""
// for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// withField names field in a NOT_FOUND or INVALID_INPUT error that names none; other errors
// pass through.
func withField(err error, field string) error {
	var e *Error
	if errors.As(err, &e) && e.Field == "" && (e.Code == ENOTFOUND || e.Code == EINVALID) {
		named := *e
		named.Field = field
		return &named
	}
	return err
}
