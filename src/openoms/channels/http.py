"""Channels API: configuration, and what a channel may sell now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from openoms.channels import services
from openoms.channels.schemas import (
    ChannelAvailabilityOut,
    ChannelCreate,
    ChannelOut,
    ChannelUpdate,
)
from openoms.identity.model import Permission as P
from openoms.web.auth import permit
from openoms.web.deps import ReadUow, WriteUow

router = APIRouter(tags=["channels"])


@router.post(
    "/channels", status_code=status.HTTP_201_CREATED, dependencies=[permit(P.CHANNELS_MANAGE)]
)
def create_channel(body: ChannelCreate, uow: WriteUow) -> ChannelOut:
    return ChannelOut.of(services.create_channel(uow, body.to_spec()))


@router.get("/channels", dependencies=[permit(P.CHANNELS_VIEW)])
def list_channels(uow: ReadUow) -> list[ChannelOut]:
    return [ChannelOut.of(c) for c in services.list_channels(uow)]


@router.get("/channels/{code}", dependencies=[permit(P.CHANNELS_VIEW)])
def get_channel(code: str, uow: ReadUow) -> ChannelOut:
    return ChannelOut.of(services.get_channel(uow, code))


@router.patch("/channels/{code}", dependencies=[permit(P.CHANNELS_MANAGE)])
def update_channel(code: str, body: ChannelUpdate, uow: WriteUow) -> ChannelOut:
    # fraud_rules may be set to null: back to the default rules
    changes = {
        k: getattr(body, k)
        for k in body.model_fields_set
        if getattr(body, k) is not None or k == "fraud_rules"
    }
    return ChannelOut.of(services.update_channel(uow, code, changes))


@router.get("/channels/{code}/availability", dependencies=[permit(P.CHANNELS_VIEW)])
def channel_availability(
    code: str,
    uow: ReadUow,
    sku: Annotated[list[str], Query(description="repeat, or separate with commas; up to 500")],
) -> list[ChannelAvailabilityOut]:
    """What the channel may sell now per SKU: stock at its locations less its buffer."""
    codes = [c.strip() for value in sku for c in value.split(",") if c.strip()]
    found = services.channel_availability(uow, code, codes)
    return [ChannelAvailabilityOut(sku=k, available=v) for k, v in found.items()]
