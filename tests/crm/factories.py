from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from crm.models import (
    Account,
    Commitment,
    Contact,
    Department,
    Equipment,
    Interaction,
    Order,
    Phone,
    ServiceRequest,
    Task,
    User,
)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Department {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Мария"
    last_name = "Иванова"
    is_staff = True
    language = "en"
    password = factory.PostGenerationMethodCall("set_password", "secret-password")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Company {n}")
    status = Account.Status.ACTIVE


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    first_name = "Иван"
    patronymic = "Петрович"
    last_name = "Сидоров"
    email = factory.Sequence(lambda n: f"person{n}@example.ru")


class PhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Phone

    contact = factory.SubFactory(ContactFactory)
    raw = "8 (916) 123-45-67"
    number = "+79161234567"


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    account = factory.SubFactory(AccountFactory)
    channel = Interaction.Channel.PHONE
    direction = Interaction.Direction.INBOUND
    subject = factory.Sequence(lambda n: f"Call {n}")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    account = factory.SubFactory(AccountFactory)
    number = factory.Sequence(lambda n: f"ORD-{n:05d}")
    amount = Decimal("125000.00")
    ordered_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    promised_delivery_date = factory.LazyFunction(lambda: (timezone.now() + timedelta(days=5)).date())


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment

    account = factory.SubFactory(AccountFactory)
    owner = factory.SelfAttribute("account.manager")
    description = "Отправить договор"
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    account = factory.SubFactory(AccountFactory)
    assignee = factory.SelfAttribute("account.manager")
    title = "Call back"
    due_at = factory.LazyFunction(timezone.now)


class ServiceRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceRequest

    account = factory.SubFactory(AccountFactory)
    channel = ServiceRequest.Channel.EMAIL
    subject = "Не работает станок"
    first_response_due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=24))


class EquipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Equipment

    account = factory.SubFactory(AccountFactory)
    model_name = "Пресс П-200"
    serial_number = factory.Sequence(lambda n: f"SN-{n:05d}")
    next_maintenance_at = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=20))
