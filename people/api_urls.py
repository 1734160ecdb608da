from django.urls import path

from . import api

urlpatterns = [
    path("invitations/", api.InvitationListCreate.as_view(), name="api-invitations"),
    path("invitations/<int:pk>/resend/", api.InvitationResend.as_view(), name="api-invitation-resend"),
    path("invitations/<int:pk>/revoke/", api.InvitationRevoke.as_view(), name="api-invitation-revoke"),
    path("projects/<slug:slug>/members/", api.MemberListCreate.as_view(), name="api-project-members"),
    path("projects/<slug:slug>/members/<int:pk>/", api.MemberRemove.as_view(), name="api-project-member"),
]
