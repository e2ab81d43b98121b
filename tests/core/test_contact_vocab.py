"""The trainer's contact is checked once, in the vocabulary: phone numbers as people write them,
e-mail addresses with a dotted domain; each refusal says what is expected."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from retrowalk.app.accounts import ContactIn, contact_text
from retrowalk.core.vocab import ContactEmail, ContactPhone

PHONE: TypeAdapter[str] = TypeAdapter(ContactPhone)
EMAIL: TypeAdapter[str] = TypeAdapter(ContactEmail)


@pytest.mark.parametrize("value", ["+44 20 7946 0958", "(020) 7946 0958", "0171-123456", "+1 (555) 010-0199"])
def test_phone_numbers_as_written_are_accepted(value: str) -> None:
    assert PHONE.validate_python(value) == value


@pytest.mark.parametrize("value", ["12345", "call me", "+44 20 7946 0958 ext", "1" * 21, "0800<script>"])
def test_what_is_not_a_phone_number_is_refused_saying_what_is_expected(value: str) -> None:
    with pytest.raises(ValidationError, match="not a phone number: use digits"):
        PHONE.validate_python(value)


@given(st.text(alphabet="0123456789", min_size=6, max_size=20), st.booleans())
def test_any_6_to_20_digits_are_a_phone_number(digits: str, plus: bool) -> None:
    value = ("+" if plus else "") + digits
    assert PHONE.validate_python(value) == value


@pytest.mark.parametrize("value", ["sam@clinic.example", "a.b+c@x.co.uk"])
def test_email_addresses_are_accepted(value: str) -> None:
    assert EMAIL.validate_python(value) == value


@pytest.mark.parametrize("value", ["x@y", "jo smith@x.com", "no-at.example", "a@b.c", "a@b@c.com"])
def test_what_is_not_an_email_is_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="not an e-mail address"):
        EMAIL.validate_python(value)


def test_contact_form_blank_boxes_clear_and_unknown_keys_are_refused() -> None:
    body = ContactIn.model_validate({"contact_phone": "  ", "contact_email": " sam@clinic.example "})
    assert (body.contact_phone, body.contact_email) == (None, "sam@clinic.example")
    with pytest.raises(ValidationError, match="extra"):
        ContactIn.model_validate({"contact_fax": "0123 456789"})


def test_contact_text_joins_what_is_set() -> None:
    from retrowalk.storage.models import User

    assert contact_text(User(contact_phone="+44 20 7946 0958")) == "+44 20 7946 0958"
    both = User(contact_phone="0171-123456", contact_email="sam@clinic.example")
    assert contact_text(both) == "0171-123456 · sam@clinic.example"
    assert contact_text(User()) == ""
