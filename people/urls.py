from django.urls import path

from . import views

app_name = "people"

urlpatterns = [
    path("people/invitations/", views.invitations, name="invitations"),
    path("people/invitations/<int:pk>/resend/", views.invitation_resend_view, name="invitation_resend"),
    path("people/invitations/<int:pk>/revoke/", views.invitation_revoke_view, name="invitation_revoke"),
    path("invite/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
    path("profile/", views.profile, name="profile"),
    path("projects/<slug:slug>/members/", views.project_members, name="project_members"),
    path("people/users/", views.users, name="users"),
    path("people/users/<int:user_id>/active/", views.user_active_view, name="user_active"),
]
