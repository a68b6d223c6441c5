"""Contains all the data models used in inputs/outputs"""

from .access_key import AccessKey
from .account import Account
from .activity_bucket import ActivityBucket
from .app import App
from .app_kind import AppKind
from .attempt import Attempt
from .attempt_bucket import AttemptBucket
from .attempt_entry import AttemptEntry
from .batch_policy import BatchPolicy
from .create_account import CreateAccount
from .create_app import CreateApp
from .create_event_type import CreateEventType
from .create_event_type_schema_type_0 import CreateEventTypeSchemaType0
from .create_key import CreateKey
from .create_portal_session import CreatePortalSession
from .create_subscription import CreateSubscription
from .create_subscription_filter_type_0 import CreateSubscriptionFilterType0
from .create_subscription_headers import CreateSubscriptionHeaders
from .create_subscription_vendor_secrets import CreateSubscriptionVendorSecrets
from .created_key import CreatedKey
from .created_portal_session import CreatedPortalSession
from .delivery import Delivery
from .delivery_detail import DeliveryDetail
from .delivery_request import DeliveryRequest
from .delivery_status import DeliveryStatus
from .error_body import ErrorBody
from .error_detail import ErrorDetail
from .event import Event
from .event_type_definition import EventTypeDefinition
from .failure_group import FailureGroup
from .failure_kind_info import FailureKindInfo
from .format_ import Format
from .header_entry import HeaderEntry
from .health import Health
from .health_count import HealthCount
from .list_response_access_key import ListResponseAccessKey
from .list_response_access_key_data_item import ListResponseAccessKeyDataItem
from .list_response_account import ListResponseAccount
from .list_response_account_data_item import ListResponseAccountDataItem
from .list_response_app import ListResponseApp
from .list_response_app_data_item import ListResponseAppDataItem
from .list_response_attempt_entry import ListResponseAttemptEntry
from .list_response_attempt_entry_data_item import ListResponseAttemptEntryDataItem
from .list_response_delivery import ListResponseDelivery
from .list_response_delivery_data_item import ListResponseDeliveryDataItem
from .list_response_event_type_definition import ListResponseEventTypeDefinition
from .list_response_event_type_definition_data_item import (
    ListResponseEventTypeDefinitionDataItem,
)
from .list_response_failure_group import ListResponseFailureGroup
from .list_response_failure_group_data_item import ListResponseFailureGroupDataItem
from .list_response_failure_kind_info import ListResponseFailureKindInfo
from .list_response_failure_kind_info_data_item import (
    ListResponseFailureKindInfoDataItem,
)
from .list_response_health_count import ListResponseHealthCount
from .list_response_health_count_data_item import ListResponseHealthCountDataItem
from .list_response_listed_event import ListResponseListedEvent
from .list_response_listed_event_data_item import ListResponseListedEventDataItem
from .list_response_listed_event_data_item_deliveries_type_0 import (
    ListResponseListedEventDataItemDeliveriesType0,
)
from .list_response_portal_session_view import ListResponsePortalSessionView
from .list_response_portal_session_view_data_item import (
    ListResponsePortalSessionViewDataItem,
)
from .list_response_subscription import ListResponseSubscription
from .list_response_subscription_data_item import ListResponseSubscriptionDataItem
from .list_response_subscription_data_item_filter_type_0 import (
    ListResponseSubscriptionDataItemFilterType0,
)
from .list_response_subscription_data_item_headers import (
    ListResponseSubscriptionDataItemHeaders,
)
from .listed_event import ListedEvent
from .listed_event_deliveries_type_0 import ListedEventDeliveriesType0
from .me_type_0 import MeType0
from .me_type_0_kind import MeType0Kind
from .me_type_1 import MeType1
from .me_type_1_kind import MeType1Kind
from .me_type_2 import MeType2
from .me_type_2_kind import MeType2Kind
from .openapi_response_200 import OpenapiResponse200
from .ordering import Ordering
from .portal_session_view import PortalSessionView
from .portal_settings_body import PortalSettingsBody
from .product import Product
from .publish_event import PublishEvent
from .published_event import PublishedEvent
from .queue_depth import QueueDepth
from .queue_depth_by_status import QueueDepthByStatus
from .replay import Replay
from .replayed import Replayed
from .rotate_secret import RotateSecret
from .schema_validation import SchemaValidation
from .schema_version import SchemaVersion
from .schema_version_schema_type_0 import SchemaVersionSchemaType0
from .send_example import SendExample
from .stats import Stats
from .stats_scope import StatsScope
from .subscription import Subscription
from .subscription_filter_type_0 import SubscriptionFilterType0
from .subscription_headers import SubscriptionHeaders
from .subscription_secrets import SubscriptionSecrets
from .subscription_secrets_headers import SubscriptionSecretsHeaders
from .subscription_secrets_vendor_secrets import SubscriptionSecretsVendorSecrets
from .subscription_stats import SubscriptionStats
from .subscription_status import SubscriptionStatus
from .subscription_with_secret import SubscriptionWithSecret
from .theme import Theme
from .update_app import UpdateApp
from .update_event_type import UpdateEventType
from .update_event_type_schema_type_0 import UpdateEventTypeSchemaType0
from .update_subscription import UpdateSubscription
from .update_subscription_filter_type_0 import UpdateSubscriptionFilterType0
from .update_subscription_headers_type_0 import UpdateSubscriptionHeadersType0
from .update_subscription_vendor_secrets_type_0 import (
    UpdateSubscriptionVendorSecretsType0,
)
from .violation import Violation

__all__ = (
    "AccessKey",
    "Account",
    "ActivityBucket",
    "App",
    "AppKind",
    "Attempt",
    "AttemptBucket",
    "AttemptEntry",
    "BatchPolicy",
    "CreateAccount",
    "CreateApp",
    "CreateEventType",
    "CreateEventTypeSchemaType0",
    "CreateKey",
    "CreatePortalSession",
    "CreateSubscription",
    "CreateSubscriptionFilterType0",
    "CreateSubscriptionHeaders",
    "CreateSubscriptionVendorSecrets",
    "CreatedKey",
    "CreatedPortalSession",
    "Delivery",
    "DeliveryDetail",
    "DeliveryRequest",
    "DeliveryStatus",
    "ErrorBody",
    "ErrorDetail",
    "Event",
    "EventTypeDefinition",
    "FailureGroup",
    "FailureKindInfo",
    "Format",
    "HeaderEntry",
    "Health",
    "HealthCount",
    "ListResponseAccessKey",
    "ListResponseAccessKeyDataItem",
    "ListResponseAccount",
    "ListResponseAccountDataItem",
    "ListResponseApp",
    "ListResponseAppDataItem",
    "ListResponseAttemptEntry",
    "ListResponseAttemptEntryDataItem",
    "ListResponseDelivery",
    "ListResponseDeliveryDataItem",
    "ListResponseEventTypeDefinition",
    "ListResponseEventTypeDefinitionDataItem",
    "ListResponseFailureGroup",
    "ListResponseFailureGroupDataItem",
    "ListResponseFailureKindInfo",
    "ListResponseFailureKindInfoDataItem",
    "ListResponseHealthCount",
    "ListResponseHealthCountDataItem",
    "ListResponseListedEvent",
    "ListResponseListedEventDataItem",
    "ListResponseListedEventDataItemDeliveriesType0",
    "ListResponsePortalSessionView",
    "ListResponsePortalSessionViewDataItem",
    "ListResponseSubscription",
    "ListResponseSubscriptionDataItem",
    "ListResponseSubscriptionDataItemFilterType0",
    "ListResponseSubscriptionDataItemHeaders",
    "ListedEvent",
    "ListedEventDeliveriesType0",
    "MeType0",
    "MeType0Kind",
    "MeType1",
    "MeType1Kind",
    "MeType2",
    "MeType2Kind",
    "OpenapiResponse200",
    "Ordering",
    "PortalSessionView",
    "PortalSettingsBody",
    "Product",
    "PublishEvent",
    "PublishedEvent",
    "QueueDepth",
    "QueueDepthByStatus",
    "Replay",
    "Replayed",
    "RotateSecret",
    "SchemaValidation",
    "SchemaVersion",
    "SchemaVersionSchemaType0",
    "SendExample",
    "Stats",
    "StatsScope",
    "Subscription",
    "SubscriptionFilterType0",
    "SubscriptionHeaders",
    "SubscriptionSecrets",
    "SubscriptionSecretsHeaders",
    "SubscriptionSecretsVendorSecrets",
    "SubscriptionStats",
    "SubscriptionStatus",
    "SubscriptionWithSecret",
    "Theme",
    "UpdateApp",
    "UpdateEventType",
    "UpdateEventTypeSchemaType0",
    "UpdateSubscription",
    "UpdateSubscriptionFilterType0",
    "UpdateSubscriptionHeadersType0",
    "UpdateSubscriptionVendorSecretsType0",
    "Violation",
)
